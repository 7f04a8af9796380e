// Validates Kubernetes objects against the API schemas of kubernetes-models (Kubernetes 1.34
// OpenAPI, compiled by ajv; pinned in package-lock.json) and the Prometheus Operator's CRDs
// (@kubernetes-models/prometheus-operator). Offline: no cluster, no download.
//
//   node validate-k8s.mjs < objects.json      (a JSON array of {"source": name, "object": {...}})
//
// Prints one line per object and exits 1 when any is invalid or of a kind it has no schema for.
import { readFileSync } from "node:fs";

const input = JSON.parse(readFileSync(0, "utf8"));
let failed = 0;

async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com") {
    return (await import(`@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`))[kind];
  }
  const path = group === "" ? `${version}/${kind}` : `${group}/${version}/${kind}`;
  return (await import(`kubernetes-models/${path}`))[kind];
}

for (const { source, object } of input) {
  const what = `${source}: ${object.kind}/${object.metadata?.name}`;
  let Model;
  try {
    Model = await modelFor(object.apiVersion, object.kind);
  } catch {
    Model = undefined;
  }
  if (!Model) {
    console.log(`FAIL ${what}: no schema for ${object.apiVersion} ${object.kind}`);
    failed++;
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`ok   ${what}`);
  } catch (e) {
    console.log(`FAIL ${what}: ${e.message}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
