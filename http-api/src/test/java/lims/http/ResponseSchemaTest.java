package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every JSON answer is a record, and openapi.yaml documents exactly its fields: a field added
 * to a record and not to its schema, or to the schema and not to the record, fails here
 * (decision 0046). Every 2xx JSON answer of the document names its schema, so none is
 * left as a free-form object.
 */
class ResponseSchemaTest {

  /** Each response schema of openapi.yaml and the record the API answers with. */
  static final Map<String, Class<?>> RECORDS = new TreeMap<>(Map.ofEntries(
      Map.entry("Health", OperationsRoutes.HealthView.class),
      Map.entry("Ready", Readiness.ReadyView.class),
      Map.entry("Tokens", AuthRoutes.TokenResponse.class),
      Map.entry("Me", AuthRoutes.Me.class),
      Map.entry("Capabilities", MeRoutes.MeView.class),
      Map.entry("User", UserRoutes.UserView.class),
      Map.entry("Client", ClientRoutes.ClientView.class),
      Map.entry("Contact", ClientRoutes.ContactView.class),
      Map.entry("Device", DeviceRoutes.DeviceView.class),
      Map.entry("Booking", DeviceRoutes.BookingView.class),
      Map.entry("Release", DeviceRoutes.ReleaseView.class),
      Map.entry("QueueEntry", DeviceRoutes.QueueView.class),
      Map.entry("Queued", DeviceRoutes.QueuedView.class),
      Map.entry("Wait", DeviceRoutes.WaitView.class),
      Map.entry("Execution", lims.device.Execution.class),
      Map.entry("Channels", AlarmRoutes.ChannelsView.class),
      Map.entry("Channel", AlarmRoutes.ChannelView.class),
      Map.entry("Alarm", AlarmRoutes.AlarmView.class),
      Map.entry("TelemetryIngest", TelemetryRoutes.IngestView.class),
      Map.entry("TelemetryError", lims.telemetry.ReadingRefused.class),
      Map.entry("TelemetryHistory", TelemetryRoutes.HistoryView.class),
      Map.entry("TelemetryPoint", TelemetryRoutes.PointView.class),
      Map.entry("TelemetryBucket", TelemetryRoutes.BucketView.class),
      Map.entry("Specimen", SpecimenRoutes.SpecimenView.class),
      Map.entry("Location", SpecimenRoutes.LocationView.class),
      Map.entry("SpecimenListItem", lims.specimen.SpecimenReadModel.SpecimenRow.class),
      Map.entry("CustodyEntry", SpecimenRoutes.CustodyEntryView.class),
      Map.entry("Sample", SpecimenRoutes.SampleView.class),
      Map.entry("BarcodeCheck", SpecimenRoutes.BarcodeCheckView.class),
      Map.entry("TestBatch", SpecimenRoutes.TestBatchView.class),
      Map.entry("AnalysisRequest", lims.specimen.TestBatch.AnalysisRequest.class),
      Map.entry("Analysis", AnalysisRoutes.AnalysisView.class),
      Map.entry("LabTest", LabTestRoutes.LabTestView.class),
      Map.entry("Schedule", LabTestRoutes.ScheduleView.class),
      Map.entry("SchedulePreview", LabTestRoutes.SchedulePreviewView.class),
      Map.entry("ScheduleFire", lims.scheduling.Schedule.Fire.class),
      Map.entry("CurrentExecution", LabTestRoutes.CurrentExecutionView.class),
      Map.entry("LabTestListItem", LabTestRoutes.LabTestRowView.class),
      Map.entry("LabTestExecution", LabTestRoutes.LabTestExecutionView.class),
      Map.entry("DeadLetter", LabTestRoutes.DeadLetterView.class),
      Map.entry("Delivery", DeliveryRoutes.DeliveryView.class),
      Map.entry("ReportVersion", ReportRoutes.ReportVersionView.class),
      Map.entry("Report", ReportRoutes.ReportView.class),
      Map.entry("ReportJob", ReportRoutes.ReportJobView.class),
      Map.entry("SpecimenReports", ReportRoutes.SpecimenReportsView.class),
      Map.entry("Workflow", WorkflowRoutes.WorkflowView.class),
      Map.entry("WorkflowSample", WorkflowRoutes.SampleView.class),
      Map.entry("WorkflowStep", WorkflowRoutes.RunStepView.class),
      Map.entry("PendingWorkflowStep", WorkflowRoutes.PendingStepView.class),
      Map.entry("StepRun", WorkflowRoutes.StepRunView.class),
      Map.entry("StepStarted", WorkflowRoutes.StepStartedView.class),
      Map.entry("WorkflowListItem", lims.workflow.WorkflowReadModel.WorkflowRow.class),
      Map.entry("WorkflowListStep", lims.workflow.WorkflowReadModel.StepRow.class)));

  /** Answers still built by hand, by operation ("POST /api/v1/x 200"): none. */
  static final Set<String> NOT_YET_TYPED = Set.of();

  final ObjectMapper mapper = Responses.mapper();
  final JsonNode document;

  ResponseSchemaTest() throws Exception {
    document = new ObjectMapper(new YAMLFactory()).readTree(OperationsRoutes.openApiDocument());
  }

  @Test
  void eachResponseRecordHasExactlyTheFieldsOfItsSchema() {
    List<String> wrong = new ArrayList<>();
    RECORDS.forEach((name, type) -> {
      JsonNode schema = document.at("/components/schemas/" + name);
      if (schema.isMissingNode()) {
        wrong.add(name + ": no such schema in openapi.yaml");
        return;
      }
      TreeSet<String> documented = new TreeSet<>();
      schema.path("properties").fieldNames().forEachRemaining(documented::add);
      BeanDescription bean = mapper.getSerializationConfig().introspect(mapper.constructType(type));
      TreeSet<String> answered = new TreeSet<>();
      bean.findProperties().forEach(p -> answered.add(p.getName()));
      if (!documented.equals(answered)) wrong.add(name + ": documented " + documented + ", answered by " + type.getSimpleName() + " " + answered);
      for (BeanPropertyDefinition p : bean.findProperties()) {
        String nested = nestedRecordSchema(type, p.getInternalName());
        if (nested == null) continue;
        String ref = refOf(schema.path("properties").path(p.getName()));
        if (!nested.equals(ref)) wrong.add(name + "." + p.getName() + ": a " + nested + " is answered, the document says " + ref);
      }
    });
    assertEquals(List.of(), wrong);
  }

  @Test
  void everyJsonAnswerNamesTheSchemaOfItsRecord() {
    List<String> untyped = new ArrayList<>();
    document.path("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(operation -> {
      if (operation.getKey().equals("parameters")) return;
      operation.getValue().path("responses").fields().forEachRemaining(r -> {
        if (!r.getKey().startsWith("2")) return;
        JsonNode response = resolve(r.getValue());
        JsonNode schema = response.path("content").path("application/json").path("schema");
        if (schema.isMissingNode()) return; // no body, or not JSON (a PNG label, an export stream)
        String key = operation.getKey().toUpperCase(java.util.Locale.ROOT) + " " + path.getKey() + " " + r.getKey();
        String named = refOf(schema.path("type").asText().equals("array") ? schema.path("items") : schema);
        boolean typed = named != null && (RECORDS.containsKey(named) || isPageOfRecords(named));
        if (typed == NOT_YET_TYPED.contains(key)) untyped.add(key + (typed ? " is typed now: take it off NOT_YET_TYPED" : " answers no record's schema"));
      });
    }));
    assertEquals(List.of(), untyped);
  }

  /** A page {items, next_cursor} (Responses.PageView) of a record's schema. */
  private boolean isPageOfRecords(String name) {
    JsonNode schema = document.at("/components/schemas/" + name);
    TreeSet<String> fields = new TreeSet<>();
    schema.path("properties").fieldNames().forEachRemaining(fields::add);
    TreeSet<String> page = new TreeSet<>();
    mapper.getSerializationConfig().introspect(mapper.constructType(Responses.PageView.class)).findProperties().forEach(p -> page.add(p.getName()));
    return fields.equals(page) && RECORDS.containsKey(refOf(schema.path("properties").path("items").path("items")));
  }

  private JsonNode resolve(JsonNode node) {
    String ref = node.path("$ref").asText("");
    return ref.isEmpty() ? node : document.at(ref.substring(1));
  }

  /** The schema a property refers to: directly, through allOf (a nullable reference), or as an array's items. */
  private static String refOf(JsonNode property) {
    if (property.has("allOf")) property = property.path("allOf").path(0);
    if (property.path("type").asText().equals("array")) property = property.path("items");
    String ref = property.path("$ref").asText("");
    return ref.startsWith("#/components/schemas/") ? ref.substring("#/components/schemas/".length()) : null;
  }

  /** The schema of the record a record component holds (itself, or as a list's items), if it is one of {@link #RECORDS}. */
  private static String nestedRecordSchema(Class<?> type, String component) {
    if (!type.isRecord()) return null;
    for (RecordComponent c : type.getRecordComponents()) {
      if (!c.getName().equals(component)) continue;
      Type held = c.getGenericType();
      if (held instanceof ParameterizedType p && p.getActualTypeArguments().length == 1) held = p.getActualTypeArguments()[0];
      for (var e : RECORDS.entrySet()) if (e.getValue().equals(held)) return e.getKey();
    }
    return null;
  }
}
