package queuectl.testserver;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.ServerVersion;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

/**
 * Serves the MongoDB wire protocol from memory on 127.0.0.1:PORT until stopped.
 * Prints "listening on HOST:PORT" once it accepts connections.
 */
public final class Main {
    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: Main <port>");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        // 5.0 answers the handshake with wire version 8, the lowest the Node.js driver 6 accepts.
        MemoryBackend backend = new MemoryBackend();
        backend.version(ServerVersion.MONGO_5_0);
        MongoServer server = new MongoServer(backend);
        // The oplog lets the server answer change streams, so `watch` is exercised too.
        server.enableOplog();
        server.bind("127.0.0.1", port);
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow));
        System.out.println("listening on 127.0.0.1:" + port);
        System.out.flush();
    }
}
