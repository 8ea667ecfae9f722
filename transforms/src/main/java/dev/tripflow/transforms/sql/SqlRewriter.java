package dev.tripflow.transforms.sql;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Rewrites the Spark SQL the course uses into SQL that Beam's Calcite dialect accepts, leaving
 * everything else as written:
 *
 * <ul>
 *   <li>{@code date_trunc('hour', expr)} becomes {@code FLOOR(expr TO HOUR)} (units year, quarter,
 *       month, day, hour, minute, second);
 *   <li>{@code GROUP BY 1, 2, 3} (select-list ordinals) becomes the select-list expressions;
 *   <li>a string literal shaped like a timestamp ({@code '2020-01-01 00:00:00'}) becomes a {@code
 *       TIMESTAMP} literal, as Spark casts it when comparing with a timestamp column.
 * </ul>
 *
 * <p>Comments, string literals and quoted identifiers are respected. Ordinals are resolved against
 * the SELECT list of the same query level.
 */
public final class SqlRewriter {
  private SqlRewriter() {}

  private static final Set<String> UNITS =
      Set.of("YEAR", "QUARTER", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND");
  private static final Pattern TIMESTAMP_TEXT =
      Pattern.compile("'\\d{4}-\\d{2}-\\d{2}[ T]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?'");

  enum Kind {
    SPACE,
    COMMENT,
    STRING,
    QUOTED_IDENTIFIER,
    WORD,
    NUMBER,
    PUNCT
  }

  record Token(Kind kind, String text) {
    boolean is(String word) {
      return kind == Kind.WORD && text.equalsIgnoreCase(word);
    }

    boolean isPunct(String p) {
      return kind == Kind.PUNCT && text.equals(p);
    }

    boolean significant() {
      return kind != Kind.SPACE && kind != Kind.COMMENT;
    }
  }

  /** Rewrites a query; throws IllegalArgumentException with a clear message for what it rejects. */
  public static String rewrite(String sql) {
    List<Token> tokens = tokenize(sql);
    tokens = rewriteDateTrunc(tokens);
    tokens = rewriteTimestampLiterals(tokens);
    tokens = rewriteGroupByOrdinals(tokens);
    tokens = quoteReservedAliases(tokens);
    StringBuilder sb = new StringBuilder();
    for (Token t : tokens) {
      sb.append(t.text());
    }
    return sb.toString();
  }

  static List<Token> tokenize(String s) {
    List<Token> out = new ArrayList<>();
    int i = 0;
    int n = s.length();
    while (i < n) {
      char c = s.charAt(i);
      int start = i;
      if (Character.isWhitespace(c)) {
        while (i < n && Character.isWhitespace(s.charAt(i))) {
          i++;
        }
        out.add(new Token(Kind.SPACE, s.substring(start, i)));
      } else if (c == '-' && i + 1 < n && s.charAt(i + 1) == '-') {
        while (i < n && s.charAt(i) != '\n') {
          i++;
        }
        out.add(new Token(Kind.COMMENT, s.substring(start, i)));
      } else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
        int end = s.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
        out.add(new Token(Kind.COMMENT, s.substring(start, i)));
      } else if (c == '\'' || c == '"' || c == '`') {
        i++;
        while (i < n) {
          if (s.charAt(i) == c) {
            if (i + 1 < n && s.charAt(i + 1) == c) {
              i += 2;
              continue;
            }
            i++;
            break;
          }
          i++;
        }
        String text = s.substring(start, i);
        out.add(new Token(c == '\'' ? Kind.STRING : Kind.QUOTED_IDENTIFIER, text));
      } else if (Character.isLetter(c) || c == '_') {
        while (i < n && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
          i++;
        }
        out.add(new Token(Kind.WORD, s.substring(start, i)));
      } else if (Character.isDigit(c)) {
        while (i < n && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
          i++;
        }
        out.add(new Token(Kind.NUMBER, s.substring(start, i)));
      } else {
        i++;
        out.add(new Token(Kind.PUNCT, String.valueOf(c)));
      }
    }
    return out;
  }

  private static int nextSignificant(List<Token> t, int from) {
    int i = from;
    while (i < t.size() && !t.get(i).significant()) {
      i++;
    }
    return i;
  }

  /** The index of the parenthesis closing the one at {@code open}. */
  private static int matching(List<Token> t, int open) {
    int depth = 0;
    for (int i = open; i < t.size(); i++) {
      if (t.get(i).isPunct("(")) {
        depth++;
      } else if (t.get(i).isPunct(")")) {
        depth--;
        if (depth == 0) {
          return i;
        }
      }
    }
    throw new IllegalArgumentException("SQL: unbalanced parentheses");
  }

  private static List<Token> rewriteDateTrunc(List<Token> in) {
    List<Token> t = new ArrayList<>(in);
    for (int i = 0; i < t.size(); i++) {
      if (!t.get(i).is("date_trunc")) {
        continue;
      }
      int open = nextSignificant(t, i + 1);
      if (open >= t.size() || !t.get(open).isPunct("(")) {
        continue;
      }
      int close = matching(t, open);
      int unitAt = nextSignificant(t, open + 1);
      int comma = nextSignificant(t, unitAt + 1);
      if (unitAt >= close
          || t.get(unitAt).kind() != Kind.STRING
          || comma >= close
          || !t.get(comma).isPunct(",")) {
        throw new IllegalArgumentException(
            "SQL: date_trunc takes a unit in quotes and a timestamp, e.g. date_trunc('hour', ts)");
      }
      String quoted = t.get(unitAt).text();
      String unit = quoted.substring(1, quoted.length() - 1).toUpperCase(Locale.ROOT);
      if (!UNITS.contains(unit)) {
        throw new IllegalArgumentException(
            "SQL: date_trunc unit '"
                + unit.toLowerCase(Locale.ROOT)
                + "' is not supported (year, quarter, month, day, hour, minute, second)");
      }
      List<Token> replacement = new ArrayList<>();
      replacement.add(new Token(Kind.WORD, "FLOOR"));
      replacement.add(new Token(Kind.PUNCT, "("));
      replacement.addAll(t.subList(nextSignificant(t, comma + 1), close));
      replacement.add(new Token(Kind.SPACE, " "));
      replacement.add(new Token(Kind.WORD, "TO"));
      replacement.add(new Token(Kind.SPACE, " "));
      replacement.add(new Token(Kind.WORD, unit));
      replacement.add(new Token(Kind.PUNCT, ")"));
      List<Token> next = new ArrayList<>(t.subList(0, i));
      next.addAll(replacement);
      next.addAll(t.subList(close + 1, t.size()));
      t = next;
    }
    return t;
  }

  private static List<Token> rewriteTimestampLiterals(List<Token> in) {
    List<Token> t = new ArrayList<>();
    Token previous = null;
    for (Token tok : in) {
      if (tok.kind() == Kind.STRING
          && TIMESTAMP_TEXT.matcher(tok.text()).matches()
          && (previous == null || !(previous.is("TIMESTAMP") || previous.is("DATE")))) {
        t.add(new Token(Kind.WORD, "TIMESTAMP"));
        t.add(new Token(Kind.SPACE, " "));
        t.add(new Token(Kind.STRING, tok.text().replace('T', ' ')));
      } else {
        t.add(tok);
      }
      if (tok.significant()) {
        previous = tok;
      }
    }
    return t;
  }

  private static List<Token> rewriteGroupByOrdinals(List<Token> in) {
    List<Token> t = new ArrayList<>(in);
    // Depth of each token, to pair a GROUP BY with the SELECT of the same query level.
    for (int i = 0; i < t.size(); i++) {
      if (!t.get(i).is("GROUP")) {
        continue;
      }
      int by = nextSignificant(t, i + 1);
      if (by >= t.size() || !t.get(by).is("BY")) {
        continue;
      }
      int depthHere = depthAt(t, i);
      int select = -1;
      for (int j = i - 1; j >= 0; j--) {
        if (t.get(j).is("SELECT") && depthAt(t, j) == depthHere) {
          select = j;
          break;
        }
      }
      if (select < 0) {
        continue;
      }
      List<List<Token>> items = selectItems(t, select, depthHere);
      int j = by + 1;
      while (j < t.size()) {
        int k = nextSignificant(t, j);
        if (k >= t.size()) {
          break;
        }
        Token tok = t.get(k);
        if (tok.kind() == Kind.NUMBER && tok.text().matches("\\d+")) {
          int after = nextSignificant(t, k + 1);
          boolean whole =
              after >= t.size()
                  || t.get(after).isPunct(",")
                  || t.get(after).isPunct(")")
                  || t.get(after).isPunct(";")
                  || t.get(after).is("HAVING")
                  || t.get(after).is("ORDER")
                  || t.get(after).is("LIMIT");
          if (whole) {
            int ordinal = Integer.parseInt(tok.text());
            if (ordinal < 1 || ordinal > items.size()) {
              throw new IllegalArgumentException(
                  "SQL: GROUP BY " + ordinal + " is not a position in the SELECT list");
            }
            List<Token> expr = items.get(ordinal - 1);
            t.remove(k);
            t.addAll(k, expr);
            j = k + expr.size();
            continue;
          }
        }
        if (tok.is("HAVING")
            || tok.is("ORDER")
            || tok.is("LIMIT")
            || tok.isPunct(")")
            || tok.isPunct(";")) {
          break;
        }
        j = k + 1;
      }
    }
    return t;
  }

  /** Aliases that are keywords in Beam's SQL ({@code AS hour}) are quoted with backticks. */
  private static List<Token> quoteReservedAliases(List<Token> in) {
    List<Token> t = new ArrayList<>(in);
    for (int i = 0; i < t.size(); i++) {
      if (!t.get(i).is("AS")) {
        continue;
      }
      int a = nextSignificant(t, i + 1);
      if (a < t.size()
          && t.get(a).kind() == Kind.WORD
          && RESERVED_ALIASES.contains(t.get(a).text().toUpperCase(Locale.ROOT))) {
        t.set(a, new Token(Kind.QUOTED_IDENTIFIER, "`" + t.get(a).text() + "`"));
      }
    }
    return t;
  }

  private static final Set<String> RESERVED_ALIASES =
      Set.of(
          "HOUR",
          "MONTH",
          "YEAR",
          "DAY",
          "MINUTE",
          "SECOND",
          "QUARTER",
          "WEEK",
          "VALUE",
          "DATE",
          "TIME",
          "TIMESTAMP",
          "USER",
          "POSITION",
          "RANK",
          "ROW",
          "ROWS",
          "RANGE",
          "LEVEL");

  private static int depthAt(List<Token> t, int index) {
    int depth = 0;
    for (int i = 0; i < index; i++) {
      if (t.get(i).isPunct("(")) {
        depth++;
      } else if (t.get(i).isPunct(")")) {
        depth--;
      }
    }
    return depth;
  }

  /** The SELECT list's expressions (without aliases), split at top-level commas. */
  private static List<List<Token>> selectItems(List<Token> t, int select, int depth) {
    List<List<Token>> items = new ArrayList<>();
    List<Token> current = new ArrayList<>();
    int d = depth;
    for (int i = select + 1; i < t.size(); i++) {
      Token tok = t.get(i);
      if (tok.isPunct("(")) {
        d++;
      } else if (tok.isPunct(")")) {
        d--;
      }
      if (d == depth && (tok.is("FROM") || tok.isPunct(","))) {
        items.add(stripAlias(current));
        current = new ArrayList<>();
        if (tok.is("FROM")) {
          break;
        }
        continue;
      }
      if (tok.kind() != Kind.COMMENT) {
        current.add(tok);
      }
    }
    return items;
  }

  private static List<Token> stripAlias(List<Token> item) {
    List<Token> sig = new ArrayList<>();
    for (Token tok : item) {
      if (tok.significant()) {
        sig.add(tok);
      }
    }
    int end = item.size();
    if (sig.size() >= 3 && sig.get(sig.size() - 2).is("AS")) {
      end = item.lastIndexOf(sig.get(sig.size() - 2));
    } else if (sig.size() >= 2) {
      Token last = sig.get(sig.size() - 1);
      Token before = sig.get(sig.size() - 2);
      boolean bareAlias =
          (last.kind() == Kind.WORD || last.kind() == Kind.QUOTED_IDENTIFIER)
              && (before.kind() == Kind.WORD
                  || before.kind() == Kind.QUOTED_IDENTIFIER
                  || before.isPunct(")"))
              && !before.is("DISTINCT")
              && !last.is("END")
              && !last.is("NULL")
              && !last.is("TRUE")
              && !last.is("FALSE");
      if (bareAlias) {
        end = item.lastIndexOf(last);
      }
    }
    List<Token> expr = new ArrayList<>(item.subList(0, end));
    while (!expr.isEmpty() && !expr.get(0).significant()) {
      expr.remove(0);
    }
    while (!expr.isEmpty() && !expr.get(expr.size() - 1).significant()) {
      expr.remove(expr.size() - 1);
    }
    return expr;
  }
}
