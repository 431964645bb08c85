package lims.analysis.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP relay on a loopback port to another local port, that can stop forwarding: frozen, it
 * keeps its connections open and passes nothing either way, as a host that stops answering
 * (paused, or cut off by the network) looks to its client.
 */
public final class Tunnel implements AutoCloseable {

  public final int port;
  private final int target;
  private final ServerSocket listener;
  private final List<Socket> sockets = new ArrayList<>();
  private boolean frozen;

  public Tunnel(int target) throws IOException {
    this.target = target;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.port = listener.getLocalPort();
    daemon("tunnel-accept", this::accept);
  }

  public synchronized void freeze() {
    frozen = true;
  }

  public synchronized void thaw() {
    frozen = false;
    notifyAll();
  }

  private void accept() {
    try {
      while (true) {
        Socket client = listener.accept();
        Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
        synchronized (this) {
          sockets.add(client);
          sockets.add(upstream);
        }
        daemon("tunnel-up", () -> pump(client, upstream));
        daemon("tunnel-down", () -> pump(upstream, client));
      }
    } catch (IOException e) {
      // closed
    }
  }

  private void pump(Socket from, Socket to) {
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      byte[] buf = new byte[8192];
      for (int n; (n = in.read(buf)) >= 0; ) {
        awaitThawed();
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException | InterruptedException e) {
      // one side closed, or the tunnel did
    }
  }

  private synchronized void awaitThawed() throws InterruptedException {
    while (frozen) wait();
  }

  private static void daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    listener.close();
    synchronized (this) {
      for (Socket s : sockets) s.close();
      frozen = false;
      notifyAll();
    }
  }
}
