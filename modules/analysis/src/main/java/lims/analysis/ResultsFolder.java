package lims.analysis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One shared results folder, read by the rules of decision 0017. The contract: a pipeline
 * writes {@code <folder>/<analysis-id>/result.json}, {@code {"status": "succeeded" |
 * "failed", ...}}, under a temporary name and renames it into place. A result counts once
 * it is a complete JSON object with a valid status (a half-written file never is); a
 * file that stays unreadable with the same size and mtime over two rescans, a folder
 * name that is not an analysis id, anything linking out of the folder, and ids no
 * analysis knows are moved to {@code .quarantine} with a note saying why. Names starting
 * with a dot (temporary files, the quarantine) are left alone. Not thread-safe: one
 * stream scans it, one scan at a time.
 */
final class ResultsFolder {

  private static final Logger log = LoggerFactory.getLogger(ResultsFolder.class);
  static final String RESULT_FILE = "result.json";
  static final String QUARANTINE = ".quarantine";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A complete result, ready for its analysis. */
  record Found(String analysisId, String status, Map<String, Object> result) {}

  /** What to look at: everything (a rescan, which also ages unreadable files), or the named entries (a file-system event). */
  record Trigger(boolean rescan, Set<String> names) {
    static final Trigger RESCAN = new Trigger(true, Set.of());

    Trigger merge(Trigger other) {
      if (rescan || other.rescan) return RESCAN;
      Set<String> all = new java.util.HashSet<>(names);
      all.addAll(other.names);
      return new Trigger(false, all);
    }
  }

  private record Stamp(long size, FileTime modified) {}

  private final Path root;
  private final long maxFileSize;
  /** Ids already handed over (or quarantined): not looked at again until the stream restarts. */
  private final Set<String> done = ConcurrentHashMap.newKeySet();
  /** Size and mtime of what was not yet usable at the last rescan. */
  private final Map<String, Stamp> unusable = new HashMap<>();

  ResultsFolder(Path root, long maxFileSize, Set<String> alreadyRecorded) {
    this.root = root;
    this.maxFileSize = maxFileSize;
    this.done.addAll(alreadyRecorded);
  }

  Path root() {
    return root;
  }

  /** Whether an entry is still waiting for its result (so worth a file-system watch). */
  boolean pending(String name) {
    return !done.contains(name) && !name.startsWith(".");
  }

  /** The results ready now; throws when the folder itself is gone (the stream then restarts with back-off). */
  List<Found> scan(Trigger trigger) throws IOException {
    if (!Files.isDirectory(root)) throw new NoSuchFileException(root.toString(), null, "results folder is missing (mount lost?)");
    Path realRoot = root.toRealPath();
    List<String> names = new ArrayList<>();
    if (trigger.rescan()) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
        entries.forEach(e -> names.add(e.getFileName().toString()));
      }
    } else {
      names.addAll(trigger.names());
    }
    List<Found> found = new ArrayList<>();
    Map<String, Stamp> seenNow = new HashMap<>();
    for (String name : names) {
      if (!pending(name)) continue;
      inspect(name, realRoot, trigger.rescan(), seenNow).ifPresent(found::add);
    }
    if (trigger.rescan()) {
      unusable.clear();
      unusable.putAll(seenNow);
    }
    return found;
  }

  private Optional<Found> inspect(String name, Path realRoot, boolean rescan, Map<String, Stamp> seenNow) throws IOException {
    Path entry = root.resolve(name);
    if (!Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) return Optional.empty();
    if (!Analysis.ID.matcher(name).matches()) {
      if (stable(name, entry, rescan, seenNow)) quarantine(name, "the name is not an analysis id");
      return Optional.empty();
    }
    if (!inside(entry, realRoot)) {
      quarantine(name, "it links out of the results folder");
      return Optional.empty();
    }
    if (!Files.isDirectory(entry)) {
      if (stable(name, entry, rescan, seenNow)) quarantine(name, "it is a file, not a folder holding " + RESULT_FILE);
      return Optional.empty();
    }
    Path file = entry.resolve(RESULT_FILE);
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return Optional.empty();
    if (!inside(file, realRoot)) {
      quarantine(name, RESULT_FILE + " links out of the results folder");
      return Optional.empty();
    }
    if (Files.size(file) > maxFileSize) {
      quarantine(name, RESULT_FILE + " is larger than " + maxFileSize + " bytes");
      return Optional.empty();
    }
    JsonNode json;
    try {
      json = JSON.readTree(Files.readAllBytes(file));
    } catch (JsonProcessingException e) {
      // Not yet complete, or never will be: only time tells.
      if (stable(name, file, rescan, seenNow)) quarantine(name, RESULT_FILE + " is not readable JSON: " + e.getOriginalMessage());
      return Optional.empty();
    }
    if (json == null || !json.isObject()) {
      if (stable(name, file, rescan, seenNow)) quarantine(name, RESULT_FILE + " is not a JSON object");
      return Optional.empty();
    }
    String status = json.path("status").asText("");
    if (!status.equals("succeeded") && !status.equals("failed")) {
      quarantine(name, RESULT_FILE + " has status '" + status + "'; it must be \"succeeded\" or \"failed\"");
      return Optional.empty();
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> result = JSON.convertValue(json, Map.class);
    done.add(name);
    return Optional.of(new Found(name, status, result));
  }

  /** Whether the path resolves (following links) to somewhere inside the folder. */
  private static boolean inside(Path path, Path realRoot) throws IOException {
    try {
      return path.toRealPath().startsWith(realRoot);
    } catch (NoSuchFileException e) {
      return false; // a dangling link
    }
  }

  /** True when, at a rescan, the path has the size and mtime it had at the previous rescan. */
  private boolean stable(String name, Path path, boolean rescan, Map<String, Stamp> seenNow) throws IOException {
    if (!rescan) return false;
    BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    Stamp now = new Stamp(a.size(), a.lastModifiedTime());
    seenNow.put(name, now);
    return now.equals(unusable.get(name));
  }

  /** The result could not be delivered (the analysis was not reached): look at it again. */
  void retryLater(String analysisId) {
    done.remove(analysisId);
  }

  /** Moves an entry to {@code .quarantine}, with a {@code .reason} note beside it. Never throws: a stuck entry must not stop the stream. */
  void quarantine(String name, String reason) {
    try {
      Path q = Files.createDirectories(root.resolve(QUARANTINE));
      Path target = q.resolve(name);
      if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) target = q.resolve(name + "." + System.currentTimeMillis());
      Files.move(root.resolve(name), target);
      Files.writeString(q.resolve(target.getFileName() + ".reason"), reason + "\n");
      done.add(name);
      log.warn("results folder {}: quarantined '{}': {}", root, name, reason);
    } catch (IOException | RuntimeException e) {
      log.error("results folder {}: could not quarantine '{}' ({}): {}", root, name, reason, e.toString());
    }
  }
}
