/*
 * Stand-in for Otter 4.2.18's ArbitrateException (same class name): what a
 * node's main thread dies with when its ZooKeeper registration fails
 * ("Node_init").
 */
package com.alibaba.otter.shared.arbitrate.exception;

public class ArbitrateException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ArbitrateException(String errorCode, String errorDesc, Throwable cause) {
        super(errorCode + ":" + errorDesc, cause);
    }
}
