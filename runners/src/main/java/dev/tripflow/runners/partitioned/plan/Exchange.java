package dev.tripflow.runners.partitioned.plan;

/**
 * How a shuffle step's input crosses from the stages that make it to the stage that reads it,
 * chosen once, when the plan is made, from the step and its input's windowing.
 */
public enum Exchange {
  /** GroupByKey in the global window: records hashed by key, kept encoded in chunks. */
  GROUP_ENCODED("hash by key, records encoded"),
  /** GroupByKey in other non-merging windows: records hashed by key, kept as objects. */
  GROUP_OBJECTS("hash by key, records as objects"),
  /** GroupByKey with merging windows or a trigger: per key, Beam's ReduceFnRunner. */
  GROUP_MERGING("hash by key, windows merged per key"),
  /** A lifted Combine.perKey: pre-aggregated in each task, partials hashed by key and merged. */
  COMBINE_PARTIALS("pre-aggregated, partials hashed by key and merged"),
  /** A stateful ParDo: records hashed by key, then state and timers per key. */
  KEYED_STATE("hash by key, state and timers per key"),
  /** Reshuffle.viaRandomKey: elements dealt to the reading tasks as they ask, unchanged. */
  DEALT("dealt to tasks as they ask, unchanged");

  private final String description;

  Exchange(String description) {
    this.description = description;
  }

  /** A few words for {@code explain}. */
  public String description() {
    return description;
  }

  /** Whether the shuffle holds records by key and spills them as sorted runs. */
  public boolean keyed() {
    return this == GROUP_ENCODED
        || this == GROUP_OBJECTS
        || this == GROUP_MERGING
        || this == KEYED_STATE;
  }
}
