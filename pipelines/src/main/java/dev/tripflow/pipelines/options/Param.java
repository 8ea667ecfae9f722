package dev.tripflow.pipelines.options;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What a template needs of one option, beside its {@code @Description} (the help text) and its
 * {@code @Default}: a label, an example value, and the form every value must take. Declared once on
 * the option's getter; {@code --help}, {@code tripflow template} and the README's option tables are
 * all rendered from it, and a value that does not match {@link #regex} is refused before the run.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Param {
  /** A short human name, e.g. "Green trips input". */
  String label();

  /** A value that works, shown in help and templates; must match {@link #regex}. */
  String example();

  /**
   * The whole value must match this (Java syntax); empty means the form implied by the option's
   * type (a number for {@code int}, {@code true|false} for {@code boolean}), or anything non-blank
   * for a string.
   */
  String regex() default "";

  /** How the expected form reads in an error, e.g. "YYYY-MM or YYYY-MM..YYYY-MM". */
  String form() default "";

  /**
   * Whether a template run must supply it (besides options marked {@code @Validation.Required}).
   */
  boolean required() default false;

  /**
   * What the option's value is to the run: the launcher makes every path absolute, checks inputs
   * and outputs against each other and applies {@code --mode} to the outputs, all from this.
   */
  Role role() default Role.NONE;

  /** For a whole number: the smallest value accepted. */
  long min() default Long.MIN_VALUE;

  /** For a whole number: the largest value accepted (a value beyond it is refused before work). */
  long max() default Long.MAX_VALUE;

  /** For {@link Role#OUTPUT_FILE}: what the file holds, e.g. "duration model". */
  String fileKind() default "";

  /** The roles of options. */
  enum Role {
    /** Not a path. */
    NONE,
    /** Data the run reads: a file, a directory or a glob (one period's, in a scheduled run). */
    INPUT,
    /** Data the run reads as a template over the run's periods: one glob per period of a range. */
    PERIOD_INPUTS,
    /** Inputs given as {@code NAME=GLOB} pairs (sql's tables). */
    NAMED_INPUTS,
    /** A single file the run reads besides its data (a model, a lookup, a query). */
    SIDE_INPUT,
    /** A directory the run replaces as a whole, committed with the run's other outputs. */
    OUTPUT,
    /** A single file the run writes. */
    OUTPUT_FILE,
    /** Any other local path (a working directory, a jar): made absolute, not checked. */
    PATH
  }
}
