package dev.tripflow.runners.partitioned.exec;

import dev.tripflow.runners.partitioned.shuffle.Receiver;
import dev.tripflow.runners.partitioned.shuffle.ShuffleCoders;
import java.util.Set;
import org.apache.beam.sdk.coders.BigDecimalCoder;
import org.apache.beam.sdk.coders.BigEndianIntegerCoder;
import org.apache.beam.sdk.coders.BigEndianLongCoder;
import org.apache.beam.sdk.coders.BigEndianShortCoder;
import org.apache.beam.sdk.coders.BigIntegerCoder;
import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.ByteArrayCoder;
import org.apache.beam.sdk.coders.ByteCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.FloatCoder;
import org.apache.beam.sdk.coders.InstantCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.NullableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.coders.VoidCoder;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * Where elements cross a boundary of the runner's (a rebalance, a materialised stage input or side
 * input, a shuffle kept as objects), Beam's model has them encoded and decoded with their
 * PCollection's coder: a coder that fails must fail the run, and one that leaves a field out must
 * leave it out here too. Elements pass through the coder unless the round trip is provably the
 * identity: for the standard coders of immutable values (strings, numbers, booleans, byte arrays,
 * instants, KVs and nullables of those) and for rows whose schema is the coder's and whose fields
 * are all of such flat types. (A string with an unpaired surrogate is the one value those coders do
 * not return unchanged; Java's own UTF-8 encoder replaces it as well.)
 */
final class CoderBoundary {
  private static final Set<Class<?>> IDENTITY =
      Set.of(
          StringUtf8Coder.class,
          VarIntCoder.class,
          VarLongCoder.class,
          BigEndianIntegerCoder.class,
          BigEndianLongCoder.class,
          BigEndianShortCoder.class,
          ByteCoder.class,
          BooleanCoder.class,
          DoubleCoder.class,
          FloatCoder.class,
          VoidCoder.class,
          ByteArrayCoder.class,
          InstantCoder.class,
          BigDecimalCoder.class,
          BigIntegerCoder.class);

  private final String collection;
  private final Coder<Object> coder;
  private final Check check;

  /** How an element is known to come back unchanged from the coder. */
  private enum Check {
    ALWAYS,
    ROW_OF_SCHEMA,
    NEVER
  }

  @SuppressWarnings("unchecked")
  private CoderBoundary(String collection, Coder<?> coder) {
    this.collection = collection;
    this.coder = (Coder<Object>) coder;
    this.check = identity(coder);
  }

  /** The boundary of {@code pc}'s elements. */
  static CoderBoundary of(PCollection<?> pc) {
    return new CoderBoundary(pc.getName(), pc.getCoder());
  }

  private static Check identity(Coder<?> coder) {
    if (IDENTITY.contains(coder.getClass())) {
      return Check.ALWAYS;
    }
    if (coder instanceof KvCoder<?, ?> kv) {
      return identity(kv.getKeyCoder()) == Check.ALWAYS
              && identity(kv.getValueCoder()) == Check.ALWAYS
          ? Check.ALWAYS
          : Check.NEVER;
    }
    if (coder instanceof NullableCoder<?> n) {
      return identity(n.getValueCoder()) == Check.ALWAYS ? Check.ALWAYS : Check.NEVER;
    }
    if (coder instanceof SchemaCoder<?> sc
        && sc.getEncodedTypeDescriptor().getRawType() == Row.class
        && ShuffleCoders.FlatRowCoder.supports(sc.getSchema())) {
      return Check.ROW_OF_SCHEMA;
    }
    return Check.NEVER;
  }

  /** Whether every element passes unchanged, so that none needs the coder. */
  boolean isIdentity() {
    return check == Check.ALWAYS;
  }

  /** {@code v} with its value as the coder gives it back. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  WindowedValue<?> cross(WindowedValue<?> v) {
    Object value = v.getValue();
    if (check == Check.ALWAYS
        || (check == Check.ROW_OF_SCHEMA
            && value instanceof Row row
            && row.getSchema().equals(((SchemaCoder<?>) coder).getSchema()))) {
      return v;
    }
    return ((WindowedValue) v).withValue(copy(value));
  }

  private Object copy(Object value) {
    try {
      return CoderUtils.clone(coder, value);
    } catch (CoderException | RuntimeException e) {
      throw new IllegalStateException(
          "cannot encode an element of "
              + collection
              + " with its coder "
              + coder
              + ": "
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()),
          e);
    }
  }

  /** {@code into}, receiving elements after they crossed this boundary. */
  Receiver before(Receiver into) {
    return isIdentity() ? into : v -> into.accept(cross(v));
  }
}
