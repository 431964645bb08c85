package lims.device;

import java.util.ArrayList;
import java.util.List;

/**
 * The queue rules (docs/domain.md, Devices) written as plainly as possible, independent of the entity:
 * the reference the model-based test compares the entity with.
 */
final class QueueRulesModel {

  record Waiting(String workflow, Priority priority, long order) {}

  String holder;
  OperationalStatus status = OperationalStatus.AVAILABLE;
  final List<Waiting> waiting = new ArrayList<>();
  private long arrivals;

  /** What the caller is told: booked, queued, conflict, forbidden, not_found, ok. */
  String book(String wf) {
    if (wf.equals(holder)) return "booked";
    if (holder != null || status != OperationalStatus.AVAILABLE) return "conflict";
    holder = wf;
    return "booked";
  }

  String enqueue(String wf, Priority p) {
    if (wf.equals(holder)) return "booked";
    if (waiting.stream().anyMatch(w -> w.workflow().equals(wf))) return "queued";
    if (holder == null && status == OperationalStatus.AVAILABLE) {
      holder = wf;
      return "booked";
    }
    waiting.add(new Waiting(wf, p, arrivals++));
    return "queued";
  }

  String release(String wf) {
    if (!wf.equals(holder)) return "forbidden";
    holder = null;
    grantNextIfFree();
    return "ok";
  }

  String cancel(String wf) {
    return waiting.removeIf(w -> w.workflow().equals(wf)) ? "ok" : "not_found";
  }

  String setStatus(OperationalStatus s) {
    status = s;
    grantNextIfFree();
    return "ok";
  }

  /** The documented order (urgent, normal, low), written out here rather than taken from the enum the entity uses. */
  private static int rank(Priority p) {
    return switch (p.wireName()) {
      case "urgent" -> 0;
      case "normal" -> 1;
      default -> 2;
    };
  }

  /** Service order: most urgent first, then earliest arrival. */
  List<String> queueInServiceOrder() {
    List<Waiting> sorted = new ArrayList<>(waiting);
    sorted.sort((a, b) -> a.priority() != b.priority() ? Integer.compare(rank(a.priority()), rank(b.priority())) : Long.compare(a.order(), b.order()));
    return sorted.stream().map(Waiting::workflow).toList();
  }

  private void grantNextIfFree() {
    if (holder == null && status == OperationalStatus.AVAILABLE && !waiting.isEmpty()) {
      String next = queueInServiceOrder().get(0);
      waiting.removeIf(w -> w.workflow().equals(next));
      holder = next;
    }
  }
}
