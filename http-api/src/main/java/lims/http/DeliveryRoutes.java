package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;
import static org.apache.pekko.http.javadsl.model.HttpMethods.POST;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import lims.kernel.Role;
import lims.reporting.delivery.Deliveries;
import lims.reporting.delivery.Delivery;
import lims.reporting.delivery.DeliveryIds;
import lims.reporting.delivery.DeliveryStatus;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/** Reports on their way to recipients by e-mail (docs/api.md, Report deliveries; openapi.yaml, tag deliveries): list them, retry a dead letter. */
final class DeliveryRoutes {

  private static final Access STAFF = Access.roles(Role.ADMIN, Role.TECHNICIAN);
  private static final List<String> STATUSES = Arrays.stream(DeliveryStatus.values()).map(DeliveryStatus::wireName).toList();

  private final Deliveries deliveries;
  private final ObjectMapper mapper;

  DeliveryRoutes(Deliveries deliveries, ObjectMapper mapper) {
    this.deliveries = deliveries;
    this.mapper = mapper;
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(GET, "/api/v1/deliveries", STAFF, this::list),
        new Endpoint(POST, "/api/v1/deliveries/{id}/retry", STAFF, this::retry));
  }

  private CompletionStage<HttpResponse> list(Call call) {
    Optional<DeliveryStatus> status = QueryParams.string(call, "status").map(s -> {
      if (!STATUSES.contains(s)) throw ProblemException.invalid("status", "must be one of " + String.join(", ", STATUSES));
      return DeliveryStatus.ofWire(s);
    });
    return deliveries.list(status, QueryParams.limit(call), QueryParams.keysetCursor(call))
        .thenApply(page -> Responses.page(mapper, page.map(DeliveryView::of)));
  }

  /** 200 with the delivery queued again; 404 unknown; 409 when it is not a dead letter. */
  private CompletionStage<HttpResponse> retry(Call call) {
    String id = call.pathParam("id");
    if (!DeliveryIds.ID.matcher(id).matches()) throw ProblemException.invalid("id", "must be a delivery id such as DL-0123456789abcdef0123");
    return deliveries.retry(id).thenApply(reply -> Responses.json(mapper, 200, DeliveryView.of(Replies.expect(reply, Deliveries.Retried.class).delivery())));
  }

  /** A delivery as the API shows it: its row. */
  record DeliveryView(String id, String reportId, int version, String recipient, String clientId, List<String> specimenIds, String messageId,
      String status, int attempts, Instant queuedAt, Instant nextAttemptAt, String lastError, String serverResponse, Instant acceptedAt,
      Instant failedAt) {

    static DeliveryView of(Delivery d) {
      return new DeliveryView(d.id(), d.reportId(), d.version(), d.recipient(), d.clientId(), d.specimenIds(), d.messageId(),
          d.status().wireName(), d.attempts(), d.queuedAt(), d.nextAttemptAt(), d.lastError(), d.serverResponse(), d.acceptedAt(), d.failedAt());
    }
  }
}
