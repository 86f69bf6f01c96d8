// Syncs one shape with the official Electric TypeScript client into memory
// and reports rows, seconds and peak RSS as JSON. For the P1 comparison.
//   node ts-sync.mjs NODE_MODULES_PARENT SERVER_URL TABLE
import { createRequire } from "node:module";
import path from "node:path";

const [modulesParent, serverUrl, table] = process.argv.slice(2);
const require = createRequire(path.join(modulesParent, "package.json"));
const { ShapeStream, Shape } = require("@electric-sql/client");

const started = process.hrtime.bigint();
const stream = new ShapeStream({ url: `${serverUrl}/v1/shape`, params: { table } });
const shape = new Shape(stream);
const rows = await shape.rows;
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
stream.unsubscribeAll();
console.log(JSON.stringify({ rows: rows.length, seconds, max_rss_kb: process.resourceUsage().maxRSS }));
process.exit(0);
