package lims.kernel.projection;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.projection.jdbc.JdbcSession;

/**
 * One transaction on the node's pool: a projection writes its read-table rows and its
 * offset through the same session, so both commit together (exactly-once read tables).
 */
public final class ReadTableSession implements JdbcSession {

  private final Connection connection;

  public ReadTableSession(DataSource dataSource) {
    Connection opened = null;
    try {
      opened = dataSource.getConnection();
      opened.setAutoCommit(false);
      this.connection = opened;
    } catch (SQLException e) {
      if (opened != null) {
        try {
          opened.close();
        } catch (SQLException ignored) {
          // already failing; the original cause is reported below
        }
      }
      throw new IllegalStateException("cannot open a read-table session", e);
    }
  }

  @Override
  public <Result> Result withConnection(Function<Connection, Result> func) throws Exception {
    return func.apply(connection);
  }

  @Override
  public void commit() throws SQLException {
    connection.commit();
  }

  @Override
  public void rollback() throws SQLException {
    connection.rollback();
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
