"""Writes deploy/schemas/k8s-fields-1.34.json: for every Kubernetes API type reachable from the
kinds deploy/k8s uses, its fields and their types, from the generated models of the official
JavaScript client (npm @kubernetes/client-node 1.4.0, Kubernetes 1.34). check_files.py uses it to
refuse unknown (misspelt) fields, which the schema validation of validate-k8s.mjs lets through.

  cd "$(mktemp -d)" && npm pack @kubernetes/client-node@1.4.0 && \
    python3 deploy/tools/gen_k8s_fields.py kubernetes-client-node-1.4.0.tgz > deploy/schemas/k8s-fields-1.34.json
"""
import json
import re
import sys
import tarfile

ROOTS = {  # apiVersion/kind -> model
    "apps/v1/Deployment": "V1Deployment", "v1/Service": "V1Service", "v1/ConfigMap": "V1ConfigMap",
    "v1/Secret": "V1Secret", "v1/ServiceAccount": "V1ServiceAccount", "v1/Namespace": "V1Namespace",
    "v1/PersistentVolumeClaim": "V1PersistentVolumeClaim", "batch/v1/Job": "V1Job",
    "networking.k8s.io/v1/Ingress": "V1Ingress", "networking.k8s.io/v1/NetworkPolicy": "V1NetworkPolicy",
    "autoscaling/v2/HorizontalPodAutoscaler": "V2HorizontalPodAutoscaler",
    "policy/v1/PodDisruptionBudget": "V1PodDisruptionBudget",
}

models = {}
with tarfile.open(sys.argv[1]) as tar:
    for member in tar.getmembers():
        m = re.fullmatch(r"package/dist/gen/models/(\w+)\.js", member.name)
        if not m:
            continue
        text = tar.extractfile(member).read().decode()
        found = re.search(r"\.attributeTypeMap = (\[.*?\n\]);", text, re.S)
        if found:
            models[m.group(1)] = {a["baseName"]: a["type"] for a in json.loads(found.group(1))}


def referenced(type_):
    return re.findall(r"\b([VC]\d\w*|Core\w+|Events\w+|Storage\w+)\b", type_)


out, todo = {}, list(ROOTS.values())
while todo:
    name = todo.pop()
    if name in out or name not in models:
        continue
    out[name] = models[name]
    for t in models[name].values():
        todo += referenced(t)
json.dump({"kubernetes": "1.34", "source": "npm @kubernetes/client-node 1.4.0 (generated models)",
           "roots": ROOTS, "types": dict(sorted(out.items()))}, sys.stdout, indent=0, sort_keys=False)
print()
