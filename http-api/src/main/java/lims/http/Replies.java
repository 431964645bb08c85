package lims.http;

import lims.kernel.Refused;

/**
 * Answer or refuse: an entity's reply as the answer a route expects, or its refusal as the
 * problem the pipeline answers with (decision 0046). The one copy of what each route class
 * used to spell out for its own entity.
 */
final class Replies {

  private Replies() {}

  static <T> T expect(Object reply, Class<T> expected) {
    if (reply instanceof Refused r) throw ProblemException.of(r.rejection());
    return expected.cast(reply);
  }
}
