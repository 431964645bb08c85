package lims.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** One call per execution attempt on a node, and none while the node's pause fence holds. */
class ActionCallsTest {

  static final LabTestAction ACTION = new LabTestAction("http", Map.of("url", "http://receiver.example/hook"));
  final AtomicInteger called = new AtomicInteger();
  final LabTestAction.Runner runner = (action, execution) -> {
    called.incrementAndGet();
    return CompletableFuture.completedFuture(LabTestAction.Outcome.succeeded("200 for attempt " + execution.attempt()));
  };

  static LabTestAction.Execution attempt(int attempt) {
    return new LabTestAction.Execution("LT-0123456789ab", "LT-0123456789ab-1000", Instant.ofEpochMilli(1000), attempt,
        Instant.now().plusSeconds(10));
  }

  @Test
  void anAttemptIsCalledOnceUntilItsOutcomeIsRecordedAndEachAttemptHasItsOwnCall() throws Exception {
    ActionCalls calls = ActionCalls.unfenced(runner);
    ActionCalls.Call first = calls.call(ACTION, attempt(1), Instant.EPOCH, Duration.ofSeconds(5));
    ActionCalls.Call again = calls.call(ACTION, attempt(1), Instant.EPOCH.plusSeconds(9), Duration.ofSeconds(5));
    assertSame(first, again);
    assertEquals(Instant.EPOCH, again.startedAt(), "when the call was first made");
    assertEquals(1, called.get());
    calls.call(ACTION, attempt(2), Instant.EPOCH, Duration.ofSeconds(5));
    assertEquals(2, called.get(), "a retry is another call");
    calls.recorded("LT-0123456789ab-1000", 1);
    calls.call(ACTION, attempt(1), Instant.EPOCH, Duration.ofSeconds(5));
    assertEquals(3, called.get(), "an attempt whose outcome was recorded is not remembered");
  }

  @Test
  void whileTheFenceHoldsNothingIsCalledAndTheAttemptFailsAtItsTimeOutSayingWhy() throws Exception {
    CompletableFuture<Void> fence = new CompletableFuture<>();
    ActionCalls calls = new ActionCalls(runner, () -> fence);
    ActionCalls.Call held = calls.call(ACTION, attempt(1), Instant.EPOCH, Duration.ofMillis(200));
    LabTestAction.Outcome outcome = held.outcome().get(5, TimeUnit.SECONDS);
    assertFalse(outcome.succeeded());
    assertEquals(List.of("not called: this node had been frozen and no other member confirmed it is still one"), outcome.log());
    assertEquals(0, called.get());

    ActionCalls.Call waiting = calls.call(ACTION, attempt(2), Instant.EPOCH, Duration.ofSeconds(5));
    assertEquals(0, called.get(), "held until a member vouches for this node");
    fence.complete(null);
    assertEquals(List.of("200 for attempt 2"), waiting.outcome().get(5, TimeUnit.SECONDS).log());
    assertEquals(1, called.get());
  }

  @Test
  void aRunnerThatThrowsFailsTheAttemptNotTheCaller() throws Exception {
    ActionCalls calls = ActionCalls.unfenced((action, execution) -> {
      throw new IllegalStateException("no route to host");
    });
    LabTestAction.Outcome outcome = calls.call(ACTION, attempt(1), Instant.EPOCH, Duration.ofSeconds(5)).outcome().get(5, TimeUnit.SECONDS);
    assertEquals(List.of("action failed: no route to host"), outcome.log());
  }
}
