package dev.tripflow.pipelines.cli;

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
}
