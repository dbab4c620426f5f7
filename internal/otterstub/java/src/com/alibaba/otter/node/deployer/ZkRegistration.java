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

    private final String servers;
    private final int sessionTimeout;
    private final long connectTimeout;
    private final String path;
    private final StubSupport.Log logger;
    private volatile ZooKeeper zk;
    private volatile boolean closed;

    private ZkRegistration(String servers, int sessionTimeout, long connectTimeout, String path, StubSupport.Log logger) {
        this.servers = servers;
        this.sessionTimeout = sessionTimeout;
        this.connectTimeout = connectTimeout;
        this.path = path;
        this.logger = logger;
    }

    static String nodePath(long nid) {
        return "/otter/node/" + nid;
    }

    /**
     * Registers /otter/node/{nid} with the servers of otter.stub.zkServers. An
     * existing node is 4.2.18's Node_init failure: see OtterLauncher. When the
     * session expires, a new one registers the node again, as OtterController's
     * NodeSessionExpired notification does (nodeEvent.init on a new session).
     */
    static ZkRegistration register(Properties conf, long nid, StubSupport.Log logger) throws Exception {
        String servers = StubSupport.knob(conf, "otter.stub.zkServers", null);
        int sessionTimeout = (int) StubSupport.knobLong(conf, "otter.stub.zkSessionTimeoutMs", 90000);
        long connectTimeout = 60000;
        String v = StubSupport.resolve(conf, "otter.zookeeper.sessionTimeout");
        if (v != null) {
            connectTimeout = Long.parseLong(v.trim());
        }
        ZkRegistration r = new ZkRegistration(servers, sessionTimeout, connectTimeout, nodePath(nid), logger);
        r.zk = r.connect();
        for (String parent : new String[] {"/otter", "/otter/node"}) {
            try {
                r.zk.create(parent, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            } catch (KeeperException.NodeExistsException e) {
                // NodeMonitor's createPersistent(path, true)
            }
        }
        try {
            r.zk.create(r.path, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
        } catch (KeeperException.NodeExistsException e) {
            // Jetty's and Dubbo's non-daemon threads keep a real node's JVM up
            // after its main thread died.
            Thread pool = new Thread(StubSupport::parkForever, "otter-stub-jetty-pool");
            pool.setDaemon(false);
            pool.start();
            throw new ArbitrateException("Node_init", String.valueOf(nid), e);
        }
        logger.info("## registered " + r.path + " in zookeeper " + servers + " with session 0x"
                    + Long.toHexString(r.zk.getSessionId()));
        return r;
    }

    /** A new session, connected within connectTimeout; its expiry registers the node again. */
    private ZooKeeper connect() throws Exception {
        final CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper z = new ZooKeeper(servers, sessionTimeout, new Watcher() {
            @Override
            public void process(WatchedEvent event) {
                if (event.getState() == Watcher.Event.KeeperState.SyncConnected) {
                    connected.countDown();
                } else if (event.getState() == Watcher.Event.KeeperState.Expired && !closed) {
                    StubSupport.daemon("otter-stub-zk-expired", ZkRegistration.this::registerAgain);
                }
            }
        });
        if (!connected.await(connectTimeout, TimeUnit.MILLISECONDS)) {
            z.close();
            throw new IllegalStateException("Unable to connect to zookeeper server within timeout: " + connectTimeout);
        }
        return z;
    }

    private void registerAgain() {
        logger.warn("## zookeeper session 0x" + Long.toHexString(zk.getSessionId()) + " expired; registering " + path
                    + " on a new session");
        while (!closed) {
            try {
                zk.close();
                zk = connect();
                zk.create(path, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
                logger.info("## registered " + path + " again in zookeeper " + servers + " with session 0x"
                            + Long.toHexString(zk.getSessionId()));
                return;
            } catch (Exception e) {
                logger.warn("## registering " + path + " again failed, retrying: " + e);
                try {
                    Thread.sleep(500);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** What the shutdown hook does (OtterController.stop → NodeArbitrateEvent.destory). */
    void unregister() throws InterruptedException {
        closed = true;
        ZooKeeper zk = this.zk;
        try {
            zk.delete(path, -1);
        } catch (KeeperException e) {
            logger.warn("cannot delete " + path + ": " + e);
        }
        zk.close();
    }
}
