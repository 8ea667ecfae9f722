package dev.tripflow.pipelines.options;

/**
 * A problem with what the user asked for (an option, an input, an output), found before any
 * pipeline starts; the launcher prints its message as one line and exits with code 2.
 */
public final class UsageException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UsageException(String message) {
    super(message);
  }
}
