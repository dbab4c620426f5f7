/*
 * The node stand-in's ZooKeeper registration, as Otter 4.2.18's
 * NodeArbitrateEvent.init and OtterController.initNid do it (see
 * OtterLauncher's class comment). A class of its own so that the ZooKeeper
 * client is loaded only when a connect string is configured.
 */
package com.alibaba.otter.node.deployer;

import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

import com.alibaba.otter.shared.arbitrate.exception.ArbitrateException;
import com.alibaba.otter.stub.StubSupport;

final class ZkRegistration {

    private final ZooKeeper zk;
    private final String path;
    private final StubSupport.Log logger;

    private ZkRegistration(ZooKeeper zk, String path, StubSupport.Log logger) {
        this.zk = zk;
        this.path = path;
        this.logger = logger;
    }

    static String nodePath(long nid) {
        return "/otter/node/" + nid;
    }

    /**
     * Registers /otter/node/{nid} with the servers of otter.stub.zkServers. An
     * existing node is 4.2.18's Node_init failure: see OtterLauncher.
     */
    static ZkRegistration register(Properties conf, long nid, StubSupport.Log logger) throws Exception {
        String servers = StubSupport.knob(conf, "otter.stub.zkServers", null);
        int sessionTimeout = (int) StubSupport.knobLong(conf, "otter.stub.zkSessionTimeoutMs", 90000);
        long connectTimeout = 60000;
        String v = StubSupport.resolve(conf, "otter.zookeeper.sessionTimeout");
        if (v != null) {
            connectTimeout = Long.parseLong(v.trim());
        }
        final CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(servers, sessionTimeout, new Watcher() {
            @Override
            public void process(WatchedEvent event) {
                if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                    connected.countDown();
                }
            }
        });
        if (!connected.await(connectTimeout, TimeUnit.MILLISECONDS)) {
            zk.close();
            throw new IllegalStateException("Unable to connect to zookeeper server within timeout: " + connectTimeout);
        }
        String path = nodePath(nid);
        for (String parent : new String[] {"/otter", "/otter/node"}) {
            try {
                zk.create(parent, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            } catch (KeeperException.NodeExistsException e) {
                // NodeMonitor's createPersistent(path, true)
            }
        }
        try {
            zk.create(path, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
        } catch (KeeperException.NodeExistsException e) {
            // Jetty's and Dubbo's non-daemon threads keep a real node's JVM up
            // after its main thread died.
            Thread pool = new Thread(StubSupport::parkForever, "otter-stub-jetty-pool");
            pool.setDaemon(false);
            pool.start();
            throw new ArbitrateException("Node_init", String.valueOf(nid), e);
        }
        logger.info("## registered " + path + " in zookeeper " + servers + " with session 0x"
                    + Long.toHexString(zk.getSessionId()));
        return new ZkRegistration(zk, path, logger);
    }

    /** What the shutdown hook does (OtterController.stop → NodeArbitrateEvent.destory). */
    void unregister() throws InterruptedException {
        try {
            zk.delete(path, -1);
        } catch (KeeperException e) {
            logger.warn("cannot delete " + path + ": " + e);
        }
        zk.close();
    }
}
