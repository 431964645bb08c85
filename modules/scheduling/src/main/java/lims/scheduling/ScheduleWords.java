package lims.scheduling;

import com.cronutils.model.Cron;
import com.cronutils.model.field.CronField;
import com.cronutils.model.field.CronFieldName;
import com.cronutils.model.field.expression.Always;
import com.cronutils.model.field.expression.And;
import com.cronutils.model.field.expression.Between;
import com.cronutils.model.field.expression.Every;
import com.cronutils.model.field.expression.FieldExpression;
import com.cronutils.model.field.expression.On;
import com.cronutils.model.field.expression.QuestionMark;
import com.cronutils.model.field.value.FieldValue;
import com.cronutils.model.field.value.SpecialChar;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.Month;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.IntFunction;

/**
 * A schedule in plain words ("every day at 06:00 Europe/Berlin"), read from the expression as
 * the scheduler parses it ({@link Schedule#parse}), never from a second reading of cron. The
 * common Quartz shapes get their usual words (every N seconds, minutes or hours; at a time of
 * day; on days of the week or of the month; in months and years); anything else is read field
 * by field, and a field the words do not cover is quoted as written, so the words never claim
 * more than the expression says.
 */
final class ScheduleWords {

  private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter SECOND = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final String[] ORDINALS = {"first", "second", "third", "fourth", "fifth"};

  private ScheduleWords() {}

  static String of(Schedule schedule) {
    if (!schedule.recurring()) {
      Instant at = schedule.at();
      boolean whole = at.getEpochSecond() % 60 == 0 && at.getNano() == 0;
      return "once at " + (whole ? MINUTE : SECOND).format(at) + " UTC";
    }
    try {
      return recurring(Schedule.parse(schedule.cron()), schedule.timezone());
    } catch (RuntimeException e) {
      // Only a stored expression this version no longer reads gets here: say what it is.
      return "on the Quartz cron '" + schedule.cron() + "' in " + schedule.timezone();
    }
  }

  private static String recurring(Cron cron, String zone) {
    Optional<TreeSet<Integer>> seconds = values(field(cron, CronFieldName.SECOND), 0, 59);
    Optional<TreeSet<Integer>> minutes = values(field(cron, CronFieldName.MINUTE), 0, 59);
    Optional<TreeSet<Integer>> hours = values(field(cron, CronFieldName.HOUR), 0, 23);
    Optional<TreeSet<Integer>> months = values(field(cron, CronFieldName.MONTH), 1, 12);
    Optional<TreeSet<Integer>> years = values(field(cron, CronFieldName.YEAR), 1970, 2099);

    // null: every month.
    String monthWords = months.isEmpty() ? "the months '" + field(cron, CronFieldName.MONTH).asString() + "'"
        : months.get().size() == 12 ? null : list(months.get(), ScheduleWords::monthName);
    String yearWords = years.map(y -> y.size() == 2099 - 1970 + 1 ? "" : " in " + list(y, Integer::toString))
        .orElseGet(() -> " in the years '" + field(cron, CronFieldName.YEAR).asString() + "'");
    String days = days(field(cron, CronFieldName.DAY_OF_MONTH), field(cron, CronFieldName.DAY_OF_WEEK), monthWords);

    if (seconds.isPresent() && minutes.isPresent() && hours.isPresent()) {
      Optional<String> at = timesOfDay(seconds.get(), minutes.get(), hours.get());
      if (at.isPresent()) return days + yearWords + " at " + at.get() + " " + zone;
      String often = often(seconds.get(), minutes.get(), hours.get());
      boolean everyDay = days.equals("every day");
      return often + (everyDay && yearWords.isEmpty() ? "" : ", " + days + yearWords) + " (" + zone + ")";
    }
    String time = "at second '" + field(cron, CronFieldName.SECOND).asString() + "', minute '" + field(cron, CronFieldName.MINUTE).asString()
        + "', hour '" + field(cron, CronFieldName.HOUR).asString() + "'";
    return time + ", " + days + yearWords + " (" + zone + ")";
  }

  // --- time of day ------------------------------------------------------------------------

  /** A few times a day (at most six): "06:00", "06:00 and 18:00", with seconds when any is not :00. */
  private static Optional<String> timesOfDay(TreeSet<Integer> seconds, TreeSet<Integer> minutes, TreeSet<Integer> hours) {
    if ((long) seconds.size() * minutes.size() * hours.size() > 6) return Optional.empty();
    boolean showSeconds = !seconds.equals(new TreeSet<>(List.of(0)));
    List<String> times = new ArrayList<>();
    for (int h : hours) {
      for (int m : minutes) {
        for (int s : seconds) times.add(showSeconds ? String.format("%02d:%02d:%02d", h, m, s) : String.format("%02d:%02d", h, m));
      }
    }
    return Optional.of(join(times));
  }

  /** Many times a day: every N seconds, minutes or hours, within hours when they are one range; else each field read. */
  private static String often(TreeSet<Integer> seconds, TreeSet<Integer> minutes, TreeSet<Integer> hours) {
    boolean allDay = hours.size() == 24;
    if (minutes.size() == 60 && allDay) {
      if (seconds.size() == 60) return "every second";
      int step = step(seconds, 60);
      if (step > 0) return "every " + step + " seconds" + (seconds.first() == 0 ? "" : " from second " + seconds.first());
    }
    if (seconds.size() == 1) {
      String atSecond = seconds.first() == 0 ? "" : " at second " + seconds.first();
      int step = minutes.size() == 60 ? 1 : step(minutes, 60);
      boolean oneRange = hours.last() - hours.first() + 1 == hours.size();
      if (step > 0 && (allDay || oneRange)) {
        String every = step == 1 ? "every minute" : "every " + step + " minutes";
        if (!allDay) return every + " from " + clock(hours.first(), minutes.first()) + " to " + clock(hours.last(), minutes.last()) + atSecond;
        return every + (minutes.first() == 0 ? "" : " from minute " + minutes.first()) + atSecond;
      }
      if (minutes.size() == 1) {
        int hourStep = allDay ? 1 : step(hours, 24);
        String past = String.format(":%02d", minutes.first()) + atSecond;
        if (hourStep == 1) return "every hour at " + past;
        if (hourStep > 0) {
          return "every " + hourStep + " hours " + (hours.first() == 0 ? "at " + past : "from " + clock(hours.first(), minutes.first()) + atSecond);
        }
      }
    }
    return "at " + fieldWords(seconds, 60, "second") + " of " + fieldWords(minutes, 60, "minute") + " of " + fieldWords(hours, 24, "hour");
  }

  /** N when the values are every Nth of the field's {@code size} values (N dividing it evenly); else 0. */
  private static int step(TreeSet<Integer> values, int size) {
    if (values.size() < 2) return 0;
    int step = values.higher(values.first()) - values.first();
    if (size % step != 0 || values.first() >= step || values.size() != size / step) return 0;
    int expected = values.first();
    for (int v : values) {
      if (v != expected) return 0;
      expected += step;
    }
    return step;
  }

  private static String fieldWords(TreeSet<Integer> values, int size, String unit) {
    if (values.size() == size) return "every " + unit;
    return (values.size() == 1 ? unit + " " : unit + "s ") + list(values, Integer::toString);
  }

  private static String clock(int hour, int minute) {
    return String.format("%02d:%02d", hour, minute);
  }

  // --- days -------------------------------------------------------------------------------

  /** "every day", "every Monday to Friday", "on day 1 of every month", "on the last Friday of March", ... */
  private static String days(FieldExpression dayOfMonth, FieldExpression dayOfWeek, String months) {
    boolean anyDayOfMonth = dayOfMonth instanceof Always || dayOfMonth instanceof QuestionMark;
    boolean anyDayOfWeek = dayOfWeek instanceof Always || dayOfWeek instanceof QuestionMark;
    String ofMonths = months == null ? "every month" : months;
    if (anyDayOfMonth && anyDayOfWeek) return months == null ? "every day" : "every day in " + months;
    if (anyDayOfWeek) return dayOfMonth(dayOfMonth, ofMonths);
    if (anyDayOfMonth) return dayOfWeek(dayOfWeek, months, ofMonths);
    return "on day-of-month '" + dayOfMonth.asString() + "' and day-of-week '" + dayOfWeek.asString() + "' of " + ofMonths;
  }

  private static String dayOfMonth(FieldExpression e, String ofMonths) {
    if (e instanceof On on && on.getSpecialChar().getValue() != SpecialChar.NONE) {
      int day = on.getTime().getValue();
      int before = on.getNth().getValue();
      switch (on.getSpecialChar().getValue()) {
        case L:
          if (day == -1 && before <= 0) return "on the last day of " + ofMonths;
          if (day == -1) return "on the " + before + (before == 1 ? " day" : " days") + " before the last day of " + ofMonths;
          break;
        case LW:
          return "on the last weekday of " + ofMonths;
        case W:
          return "on the weekday nearest day " + day + " of " + ofMonths;
        default:
          break;
      }
    }
    Optional<TreeSet<Integer>> days = values(e, 1, 31);
    if (days.isEmpty()) return "on day-of-month '" + e.asString() + "' of " + ofMonths;
    return "on " + (days.get().size() == 1 ? "day " : "days ") + list(days.get(), Integer::toString) + " of " + ofMonths;
  }

  private static String dayOfWeek(FieldExpression e, String months, String ofMonths) {
    String in = months == null ? "" : " in " + months;
    if (e instanceof On on && on.getSpecialChar().getValue() != SpecialChar.NONE) {
      int day = on.getTime().getValue();
      int nth = on.getNth().getValue();
      if (day >= 1 && day <= 7 && on.getSpecialChar().getValue() == SpecialChar.HASH && nth >= 1 && nth <= 5) {
        return "on the " + ORDINALS[nth - 1] + " " + dayName(day) + " of " + ofMonths;
      }
      if (day >= 1 && day <= 7 && on.getSpecialChar().getValue() == SpecialChar.L) return "on the last " + dayName(day) + " of " + ofMonths;
      return "on day-of-week '" + e.asString() + "' of " + ofMonths;
    }
    Optional<TreeSet<Integer>> days = values(e, 1, 7);
    if (days.isEmpty()) return "on day-of-week '" + e.asString() + "'" + in;
    if (days.get().size() == 7) return "every day" + in;
    return "every " + list(days.get(), ScheduleWords::dayName) + in;
  }

  /** Quartz numbers the days of the week from Sunday (1) to Saturday (7). */
  private static String dayName(int quartzDay) {
    DayOfWeek day = quartzDay == 1 ? DayOfWeek.SUNDAY : DayOfWeek.of(quartzDay - 1);
    return day.getDisplayName(TextStyle.FULL, Locale.ENGLISH);
  }

  private static String monthName(int month) {
    return Month.of(month).getDisplayName(TextStyle.FULL, Locale.ENGLISH);
  }

  // --- values of a field ------------------------------------------------------------------

  /** The field's expression; the optional year field, when left out, is every year. */
  private static FieldExpression field(Cron cron, CronFieldName name) {
    CronField field = cron.retrieve(name);
    return field == null ? Always.always() : field.getExpression();
  }

  /**
   * The values a field names, between {@code lo} and {@code hi}; empty for what the words do
   * not cover (L, W, #, a range that wraps), which the caller then quotes as written.
   */
  static Optional<TreeSet<Integer>> values(FieldExpression e, int lo, int hi) {
    TreeSet<Integer> out = new TreeSet<>();
    return add(e, lo, hi, out) && !out.isEmpty() ? Optional.of(out) : Optional.empty();
  }

  private static boolean add(FieldExpression e, int lo, int hi, TreeSet<Integer> out) {
    if (e instanceof Always || e instanceof QuestionMark) return addRange(lo, hi, 1, out);
    if (e instanceof On on) {
      if (on.getSpecialChar().getValue() != SpecialChar.NONE) return false;
      int v = on.getTime().getValue();
      return v >= lo && v <= hi && addRange(v, v, 1, out);
    }
    if (e instanceof Between between) {
      Integer from = integer(between.getFrom());
      Integer to = integer(between.getTo());
      return from != null && to != null && from >= lo && to <= hi && from <= to && addRange(from, to, 1, out);
    }
    if (e instanceof Every every) {
      int step = every.getPeriod().getValue();
      if (step < 1) return false;
      FieldExpression base = every.getExpression();
      if (base instanceof Always) return addRange(lo, hi, step, out);
      if (base instanceof On on && on.getSpecialChar().getValue() == SpecialChar.NONE) {
        int from = on.getTime().getValue();
        return from >= lo && from <= hi && addRange(from, hi, step, out);
      }
      if (base instanceof Between between) {
        Integer from = integer(between.getFrom());
        Integer to = integer(between.getTo());
        return from != null && to != null && from >= lo && to <= hi && from <= to && addRange(from, to, step, out);
      }
      return false;
    }
    if (e instanceof And and) {
      for (FieldExpression part : and.getExpressions()) {
        if (!add(part, lo, hi, out)) return false;
      }
      return true;
    }
    return false;
  }

  private static boolean addRange(int from, int to, int step, TreeSet<Integer> out) {
    for (int v = from; v <= to; v += step) out.add(v);
    return true;
  }

  private static Integer integer(FieldValue<?> value) {
    return value != null && value.getValue() instanceof Integer i ? i : null;
  }

  // --- lists ------------------------------------------------------------------------------

  /** "1", "1 and 15", "1, 8 and 15", with runs of three or more as "1 to 10". */
  private static String list(TreeSet<Integer> values, IntFunction<String> name) {
    List<String> parts = new ArrayList<>();
    List<Integer> sorted = new ArrayList<>(values);
    for (int i = 0; i < sorted.size(); ) {
      int j = i;
      while (j + 1 < sorted.size() && sorted.get(j + 1) == sorted.get(j) + 1) j++;
      if (j - i >= 2) {
        parts.add(name.apply(sorted.get(i)) + " to " + name.apply(sorted.get(j)));
      } else {
        for (int k = i; k <= j; k++) parts.add(name.apply(sorted.get(k)));
      }
      i = j + 1;
    }
    return join(parts);
  }

  private static String join(List<String> parts) {
    if (parts.size() == 1) return parts.get(0);
    return String.join(", ", parts.subList(0, parts.size() - 1)) + " and " + parts.get(parts.size() - 1);
  }
}
