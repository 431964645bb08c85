package lims.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import lims.device.Execution;

/** CSV lines of execution-log entries (RFC 4180 quoting), for spreadsheet users. */
final class ExecutionCsv {

  static final String HEADER =
      "execution_id,device_id,device_type,workflow_id,operation,parameters,status,started_at,finished_at,duration_ms,result\r\n";

  private ExecutionCsv() {}

  static String line(Execution x, ObjectMapper mapper) throws JsonProcessingException {
    List<Object> cells = List.of(
        x.executionId(), x.deviceId(), x.deviceType(), x.workflowId(), x.operation(),
        mapper.writeValueAsString(x.parameters()), x.status(), x.startedAt(),
        Objects.toString(x.finishedAt(), ""), Objects.toString(x.durationMs(), ""),
        x.result() == null ? "" : mapper.writeValueAsString(x.result()));
    return cells.stream().map(c -> quote(String.valueOf(c))).collect(Collectors.joining(",")) + "\r\n";
  }

  private static String quote(String cell) {
    return cell.contains(",") || cell.contains("\"") || cell.contains("\n") || cell.contains("\r")
        ? "\"" + cell.replace("\"", "\"\"") + "\"" : cell;
  }
}
