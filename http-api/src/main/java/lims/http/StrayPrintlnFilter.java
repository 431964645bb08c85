package lims.http;

import java.io.PrintStream;

/**
 * Standard output without a library's leftover debugging line: pekko-projection-jdbc 1.0.0
 * prints "# stop ...JdbcRunningProjection@..." for each of the node's projections (about
 * forty) when a node stops, which buries the console's last useful lines. Scala's println
 * reaches it as println(Object), through the stream scala.Console captured at its first use,
 * so Main installs this before any Scala code runs.
 */
final class StrayPrintlnFilter extends PrintStream {

  private static final String STRAY = "# stop org.apache.pekko.projection.";

  StrayPrintlnFilter(PrintStream out) {
    super(out, true);
  }

  @Override
  public void println(Object x) {
    if (!String.valueOf(x).startsWith(STRAY)) super.println(x);
  }

  @Override
  public void println(String x) {
    if (x == null || !x.startsWith(STRAY)) super.println(x);
  }
}
