package lims.kernel.projection;

import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Spreads an entity type's events over a fixed number of tags, so its projection runs as
 * that many parallel instances across the cluster. The tag of an entity never changes:
 * changing {@code count} needs a new projection name.
 */
public record EventTags(String prefix, int count) {

  public String tagFor(String entityId) {
    return prefix + "-" + Math.floorMod(entityId.hashCode(), count);
  }

  public Set<String> tagSetFor(String entityId) {
    return Set.of(tagFor(entityId));
  }

  public List<String> all() {
    return IntStream.range(0, count).mapToObj(i -> prefix + "-" + i).toList();
  }
}
