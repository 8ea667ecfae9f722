package dev.tripflow.pipelines;

import static org.junit.Assert.assertEquals;

import dev.tripflow.transforms.ZoneLookup;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * zone-revenue through the launcher equals DuckDB joining the same rows with the zone file: an
 * inner join for the enriched output, an anti join (unknown and null zones) for the unmatched one.
 */
public class ZoneRevenueOracleTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  /** Bundled lookup and an explicit zone file give DuckDB's join; nothing is lost. */
  @Test
  public void broadcastJoinMatchesDuckDb() throws Exception {
    Path zones = tmp.getRoot().toPath().resolve("zones.csv");
    try (InputStream in = ZoneLookup.class.getResourceAsStream(ZoneLookup.RESOURCE)) {
      Files.copy(in, zones);
    }
    Path input = tmp.getRoot().toPath().resolve("hourly.parquet");
    try (DuckDbOracle duck = new DuckDbOracle()) {
      duck.execute(
          "COPY (SELECT TIMESTAMP '2020-01-01 00:00:00' + to_hours(i % 48) AS hour,"
              + " CASE WHEN i % 53 = 0 THEN NULL ELSE CAST(i % 300 AS INTEGER) END AS zone,"
              + " round(i * 1.5, 2) AS green_amount, CAST(i AS BIGINT) AS green_number_records"
              + " FROM range(1200) t(i)) TO '"
              + input
              + "' (FORMAT PARQUET)");
      duck.execute(
          "CREATE TABLE z AS SELECT * FROM read_csv('"
              + zones
              + "', header=true, columns={'LocationID': 'BIGINT', 'Borough': 'VARCHAR', 'Zone':"
              + " 'VARCHAR', 'service_zone': 'VARCHAR'})");
      String cols = "CAST(hour AS VARCHAR), zone, green_number_records, green_amount";
      List<List<Object>> expectedMatched =
          duck.query(
              "SELECT CAST(h.hour AS VARCHAR), h.zone, h.green_number_records, h.green_amount,"
                  + " z.Borough, z.Zone, z.service_zone FROM read_parquet('"
                  + input
                  + "') h JOIN z ON h.zone = z.LocationID");
      List<List<Object>> expectedUnmatched =
          duck.query(
              "SELECT "
                  + cols
                  + " FROM read_parquet('"
                  + input
                  + "') h WHERE NOT EXISTS (SELECT 1 FROM z WHERE z.LocationID = h.zone)");
      assertEquals(1200, expectedMatched.size() + expectedUnmatched.size());
      for (String zonesOption : new String[] {null, zones.toString()}) {
        Path out = tmp.getRoot().toPath().resolve(zonesOption == null ? "bundled" : "file");
        if (zonesOption == null) {
          Cli.ok("zone-revenue", "--input=" + input, "--output=" + out);
        } else {
          Cli.ok("zone-revenue", "--input=" + input, "--zones=" + zonesOption, "--output=" + out);
        }
        DuckDbOracle.assertSameRows(
            expectedMatched,
            duck.query(
                "SELECT "
                    + cols
                    + ", borough, zone_name, service_zone FROM read_parquet('"
                    + out
                    + "/*.parquet')"),
            3);
        DuckDbOracle.assertSameRows(
            expectedUnmatched,
            duck.query("SELECT " + cols + " FROM read_parquet('" + out + "-unmatched/*.parquet')"),
            3);
      }
    }
  }
}
