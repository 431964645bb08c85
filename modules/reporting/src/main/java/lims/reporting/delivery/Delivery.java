package lims.reporting.delivery;

import java.time.Instant;
import java.util.List;

/**
 * One report version on its way to one recipient, as its row holds it. {@code nextAttemptAt}
 * only while queued; {@code serverResponse} is what the recipient's server answered to the
 * message (its 250 line) once accepted.
 */
public record Delivery(String id, String reportId, int version, String recipient, String clientId, List<String> specimenIds,
    String messageId, DeliveryStatus status, int attempts, Instant queuedAt, Instant nextAttemptAt, String lastError,
    String serverResponse, Instant acceptedAt, Instant failedAt) {}
