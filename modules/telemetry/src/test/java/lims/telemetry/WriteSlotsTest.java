package lims.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.junit.jupiter.api.Test;

/** No more stores at once than the slots; the others start in order as slots free, failed stores free theirs too. */
class WriteSlotsTest {

  @Test
  void atMostTheSlotsRunAndTheRestStartInOrderAsTheyFree() {
    WriteSlots slots = new WriteSlots(2);
    List<CompletableFuture<Integer>> started = new ArrayList<>();
    List<CompletionStage<Integer>> answers = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      answers.add(slots.run(() -> {
        CompletableFuture<Integer> store = new CompletableFuture<>();
        started.add(store);
        return store;
      }));
    }
    assertEquals(2, started.size(), "two at once");
    assertEquals(3, slots.waiting());
    started.get(0).complete(0);
    assertEquals(3, started.size(), "the third starts when the first is done");
    started.get(1).completeExceptionally(new IllegalStateException("database did not answer"));
    assertEquals(4, started.size(), "a failed store frees its slot too");
    started.get(2).complete(2);
    started.get(3).complete(3);
    started.get(4).complete(4);
    assertEquals(0, slots.waiting());
    assertEquals(0, answers.get(0).toCompletableFuture().join());
    assertTrue(answers.get(1).toCompletableFuture().isCompletedExceptionally());
    assertEquals(4, answers.get(4).toCompletableFuture().join());
  }
}
