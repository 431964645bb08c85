package lims.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The result-file rules on a real folder: what counts, what waits, what is quarantined and why. */
class ResultsFolderTest {

  @TempDir Path tmp;
  Path root;
  ResultsFolder folder;

  @BeforeEach
  void setUp() throws Exception {
    root = Files.createDirectories(tmp.resolve("results"));
    folder = new ResultsFolder(root, 1024, Set.of("AN-SP-2026-000009-1"));
  }

  Path write(String id, String content) throws Exception {
    Path dir = Files.createDirectories(root.resolve(id));
    Path temp = dir.resolve(".result.json.tmp");
    Files.writeString(temp, content);
    return Files.move(temp, dir.resolve("result.json"), StandardCopyOption.ATOMIC_MOVE);
  }

  List<ResultsFolder.Found> rescan() throws Exception {
    return folder.scan(ResultsFolder.Trigger.RESCAN);
  }

  boolean quarantined(String name) {
    return Files.exists(root.resolve(".quarantine").resolve(name), java.nio.file.LinkOption.NOFOLLOW_LINKS)
        && Files.exists(root.resolve(".quarantine").resolve(name + ".reason"));
  }

  @Test
  void aRenamedResultCountsOnceWithItsContent() throws Exception {
    write("AN-SP-2026-000001-1", "{\"status\":\"succeeded\",\"reads\":1200}");
    List<ResultsFolder.Found> found = rescan();
    assertEquals(1, found.size());
    assertEquals("AN-SP-2026-000001-1", found.get(0).analysisId());
    assertEquals("succeeded", found.get(0).status());
    assertEquals(1200, found.get(0).result().get("reads"));
    assertEquals(List.of(), rescan(), "handed over once");
    assertEquals(List.of(), folder.scan(new ResultsFolder.Trigger(false, Set.of("AN-SP-2026-000001-1"))));
  }

  @Test
  void aResultAlreadyRecordedBeforeARestartIsNotHandedOverAgain() throws Exception {
    write("AN-SP-2026-000009-1", "{\"status\":\"failed\"}");
    assertEquals(List.of(), rescan());
  }

  @Test
  void aResultStillBeingWrittenWaitsAndOneThatStaysBrokenIsQuarantinedAfterTwoRescans() throws Exception {
    Path dir = Files.createDirectories(root.resolve("AN-SP-2026-000002-1"));
    Files.writeString(dir.resolve("result.json"), "{\"status\":\"succ");
    assertEquals(List.of(), rescan());
    assertTrue(Files.exists(dir), "unchanged once is not yet stable: a writer may be between two writes");
    Files.writeString(dir.resolve("result.json"), "{\"status\":\"succeeded\",\"x\":[1,2");
    assertEquals(List.of(), rescan());
    assertTrue(Files.exists(dir), "it grew since the last rescan: still being written");
    // A file-system event between rescans does not age it.
    assertEquals(List.of(), folder.scan(new ResultsFolder.Trigger(false, Set.of("AN-SP-2026-000002-1"))));
    assertTrue(Files.exists(dir));
    assertEquals(List.of(), rescan());
    assertTrue(quarantined("AN-SP-2026-000002-1"), "same size and mtime over two rescans and still unreadable");
    assertTrue(Files.readString(root.resolve(".quarantine/AN-SP-2026-000002-1.reason")).contains("not readable JSON"));
  }

  @Test
  void aFileCompletedInPlaceCountsWithoutWaiting() throws Exception {
    Path dir = Files.createDirectories(root.resolve("AN-SP-2026-000003-1"));
    Files.writeString(dir.resolve("result.json"), "{\"status\":\"fai");
    assertEquals(List.of(), rescan());
    Files.writeString(dir.resolve("result.json"), "{\"status\":\"failed\",\"why\":\"low yield\"}");
    assertEquals("failed", rescan().get(0).status());
  }

  @Test
  void namesThatAreNotAnalysisIdsAreQuarantinedOnceStableAndHiddenNamesAreLeftAlone() throws Exception {
    Files.createDirectories(root.resolve("..AN-SP-2026-000004-1"));
    Files.createDirectories(root.resolve("AN-SP-2026-000004-1;rm"));
    Files.writeString(root.resolve("notes.txt"), "hello");
    Files.writeString(root.resolve(".tmp-upload"), "partial");
    rescan();
    assertFalse(quarantined("notes.txt"), "one look is not enough: it may still be arriving");
    rescan();
    assertTrue(quarantined("notes.txt"));
    assertTrue(quarantined("AN-SP-2026-000004-1;rm"));
    assertTrue(Files.exists(root.resolve(".tmp-upload")));
    assertTrue(Files.exists(root.resolve("..AN-SP-2026-000004-1")), "a dot name is a temporary one: left alone");
  }

  @Test
  void symlinksOutOfTheFolderAreQuarantinedAndTheirTargetsUntouched() throws Exception {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Path secret = Files.writeString(outside.resolve("result.json"), "{\"status\":\"succeeded\",\"secret\":42}");
    Files.createSymbolicLink(root.resolve("AN-SP-2026-000005-1"), outside);
    Path dir = Files.createDirectories(root.resolve("AN-SP-2026-000006-1"));
    Files.createSymbolicLink(dir.resolve("result.json"), Path.of("..", "..", "outside", "result.json"));
    assertEquals(List.of(), rescan());
    assertTrue(quarantined("AN-SP-2026-000005-1"));
    assertTrue(quarantined("AN-SP-2026-000006-1"));
    assertEquals("{\"status\":\"succeeded\",\"secret\":42}", Files.readString(secret));
  }

  @Test
  void aBadStatusAnOversizedFileAndANonObjectAreQuarantined() throws Exception {
    write("AN-SP-2026-000007-1", "{\"status\":\"done\"}");
    write("AN-SP-2026-000007-2", "{\"status\":\"succeeded\",\"pad\":\"" + "x".repeat(2000) + "\"}");
    write("AN-SP-2026-000007-3", "[1,2,3]");
    rescan();
    rescan();
    assertTrue(quarantined("AN-SP-2026-000007-1"));
    assertTrue(quarantined("AN-SP-2026-000007-2"));
    assertTrue(quarantined("AN-SP-2026-000007-3"));
  }

  @Test
  void aMissingFolderFailsTheScanSoTheStreamRestartsAndAQuarantineNeverThrows() throws Exception {
    Files.delete(root);
    assertThrows(NoSuchFileException.class, this::rescan);
    folder.quarantine("AN-SP-2026-000008-1", "gone"); // logged, not thrown
  }
}
