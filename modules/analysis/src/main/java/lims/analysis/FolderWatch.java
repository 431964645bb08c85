package lims.analysis;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * File-system events (inotify on Linux) for a results folder and its pending analysis
 * folders, turned into "look at these entries" triggers. Low latency on local disks;
 * blind to files another NFS client writes, which is why the periodic rescan exists.
 * Blocking: polled from the analysis I/O dispatcher.
 */
final class FolderWatch implements AutoCloseable {

  private final ResultsFolder folder;
  private final WatchService service;
  private final WatchKey rootKey;
  /** Watches of analysis folders still waiting for their result; dropped once it came. */
  private final java.util.Map<String, WatchKey> pendingKeys = new java.util.HashMap<>();

  FolderWatch(ResultsFolder folder) throws IOException {
    this.folder = folder;
    this.service = folder.root().getFileSystem().newWatchService();
    this.rootKey = folder.root().register(service, ENTRY_CREATE, ENTRY_MODIFY);
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder.root(), e -> Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS))) {
      for (Path e : entries) {
        if (folder.pending(e.getFileName().toString())) watchPending(e);
      }
    }
  }

  /** Waits up to {@code wait} for events; the entries they concern (empty if none). Throws when the folder is gone. */
  Optional<ResultsFolder.Trigger> poll(Duration wait) throws IOException, InterruptedException {
    WatchKey key;
    try {
      key = service.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ClosedWatchServiceException e) {
      throw new IOException("watch closed", e);
    }
    if (!rootKey.isValid()) throw new IOException("results folder " + folder.root() + " is gone (mount lost?)");
    pendingKeys.entrySet().removeIf(e -> {
      if (folder.pending(e.getKey()) && e.getValue().isValid()) return false;
      e.getValue().cancel();
      return true;
    });
    if (key == null) return Optional.empty();
    Set<String> names = new HashSet<>();
    boolean overflow = false;
    do {
      Path dir = (Path) key.watchable();
      for (WatchEvent<?> event : key.pollEvents()) {
        if (event.kind() == OVERFLOW) {
          overflow = true;
          continue;
        }
        Path name = (Path) event.context();
        if (dir.equals(folder.root())) {
          names.add(name.toString());
          Path created = dir.resolve(name);
          if (event.kind() == ENTRY_CREATE && folder.pending(name.toString()) && Files.isDirectory(created, LinkOption.NOFOLLOW_LINKS)) {
            watchPending(created);
          }
        } else {
          names.add(dir.getFileName().toString());
        }
      }
      key.reset();
      key = service.poll();
    } while (key != null);
    if (overflow) return Optional.of(ResultsFolder.Trigger.RESCAN);
    return names.isEmpty() ? Optional.empty() : Optional.of(new ResultsFolder.Trigger(false, Set.copyOf(names)));
  }

  private void watchPending(Path dir) throws IOException {
    try {
      pendingKeys.put(dir.getFileName().toString(), dir.register(service, ENTRY_CREATE, ENTRY_MODIFY));
    } catch (java.nio.file.NoSuchFileException e) {
      // Gone again (quarantined, renamed): nothing to watch.
    }
  }

  @Override
  public void close() throws IOException {
    service.close();
  }
}
