// DuckDB or Polars (2 threads) on the transactions CSVs: the same workloads as pando-frame's,
// the CSV read included.
//
//   node frame.mjs --engine duckdb|polars --glob 'DIR/transactions-*.csv' --op OP
//
// Prints one JSON line: seconds in-process (read + compute), a short result, peak memory.
// Node's start and the imports are measured by the harness (whole command).
import { parseArgs } from "node:util";
import path from "node:path";

const { values: a } = parseArgs({
  options: {
    engine: { type: "string" },
    glob: { type: "string" },
    op: { type: "string" },
    threads: { type: "string", default: "2" },
  },
});
const customers = path.join(path.dirname(a.glob), "customers.csv");

async function duckdb() {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const db = await DuckDBInstance.create(":memory:", { threads: a.threads });
  const c = await db.connect();
  const t = `read_csv('${a.glob}', header = true)`;
  const rows = async (sql) => (await c.runAndReadAll(sql)).getRows();
  const ops = {
    "groupby-category": () =>
      rows(`SELECT category, sum(amount) AS amount_sum, avg(amount) AS amount_mean,
              count(amount) AS amount_count, max(qty) AS qty_max
            FROM ${t} GROUP BY category ORDER BY category`),
    "groupby-customer-top": () =>
      rows(`SELECT customer, sum(amount) AS amount_sum FROM ${t} GROUP BY customer
            ORDER BY amount_sum DESC LIMIT 10`),
    "value-counts": () =>
      rows(`SELECT category, count(*) AS count FROM ${t} WHERE amount > 100 AND flag
            GROUP BY category ORDER BY count DESC, category`),
    "join-region": () =>
      rows(`SELECT region, avg(amount) AS amount_mean FROM ${t} JOIN
              read_csv('${customers}', header = true) USING (customer)
            GROUP BY region ORDER BY region`),
    "sort-ends": async () => {
      // The full sort materialized (as sort_values), then both ends.
      await c.run(`CREATE TABLE s AS SELECT amount FROM ${t} WHERE amount IS NOT NULL
                   ORDER BY amount`);
      const n = Number((await rows("SELECT count(*) FROM s"))[0][0]);
      return [...(await rows("SELECT amount FROM s LIMIT 10")),
              ...(await rows(`SELECT amount FROM s OFFSET ${n - 10}`))];
    },
    "nlargest": () => rows(`SELECT * FROM ${t} ORDER BY amount DESC NULLS LAST LIMIT 10`),
    "median": () =>
      rows(`SELECT customer, median(amount) AS amount_median FROM ${t} GROUP BY customer
            ORDER BY customer`),
  };
  return ops[a.op]();
}

async function polars() {
  const pl = (await import("nodejs-polars")).default;
  const t = () => pl.scanCSV(a.glob, { tryParseDates: false });
  const col = pl.col;
  const ops = {
    "groupby-category": () =>
      t().groupBy("category").agg(col("amount").sum().alias("amount_sum"),
                                  col("amount").mean().alias("amount_mean"),
                                  col("amount").count().alias("amount_count"),
                                  col("qty").max().alias("qty_max"))
        .sort("category").collectSync(),
    "groupby-customer-top": () =>
      t().groupBy("customer").agg(col("amount").sum().alias("amount_sum"))
        .sort("amount_sum", true).head(10).collectSync(),
    "value-counts": () =>
      t().filter(col("amount").gt(100).and(col("flag"))).groupBy("category")
        .agg(pl.len().alias("count")).sort(["count", "category"], [true, false]).collectSync(),
    "join-region": () =>
      t().join(pl.scanCSV(customers), { on: "customer" }).groupBy("region")
        .agg(col("amount").mean().alias("amount_mean")).sort("region").collectSync(),
    "sort-ends": () => {
      const s = t().filter(col("amount").isNotNull()).select("amount").sort("amount").collectSync();
      return pl.concat([s.head(10), s.tail(10)]);
    },
    "nlargest": () => t().sort("amount", true, true).head(10).collectSync(),
    "median": () =>
      t().groupBy("customer").agg(col("amount").median().alias("amount_median"))
        .sort("customer").collectSync(),
  };
  return ops[a.op]();
}

const t0 = performance.now();
const result = await (a.engine === "duckdb" ? duckdb() : polars());
const seconds = (performance.now() - t0) / 1000;
const shown = Array.isArray(result) ? result.length : result.height;
console.log(JSON.stringify({
  seconds,
  result: `${shown} rows`,
  rss_mib: [process.resourceUsage().maxRSS / 1024],
}));
