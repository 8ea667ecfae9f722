package dev.tripflow.spi;

/**
 * An element standing for a piece of work of a known size (a file's range of bytes to read): a
 * runner dealing such elements to its workers may deal the largest first, so that the last ones
 * taken are small and the workers finish together.
 */
public interface SizedElement {
  /** The size of the work, in bytes. */
  long sizeBytes();
}
