"""Structural checks of deploy/ and the CI files that no packaged validator covers, for
scripts/check-deploy. Each check prints its findings; the exit status is 1 when any failed.

  check_files.py k8s-policy <rendered.yaml> <overlay>   probes, drain timing, security, references
  check_files.py k8s-fields <rendered.yaml> <overlay>   no unknown (misspelt) field, Kubernetes 1.34
  check_files.py prometheusrule [--write]               the PrometheusRule equals deploy/monitoring/rules
  check_files.py compose                                schema (vendored compose-spec) and references
  check_files.py travis                                 .travis.yml keys, stages and scripts
  check_files.py jenkinsfile                            Jenkinsfile: declarative structure
  check_files.py dockerfile                             Dockerfile: stages, user, healthcheck, labels
  check_files.py to-json <overlay> < rendered.yaml      the objects as JSON for validate-k8s.mjs
"""
import glob
import json
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
problems = []


def problem(message):
    problems.append(message)
    print(f"   problem: {message}")


def duration_seconds(text):
    m = re.fullmatch(r"(\d+)(ms|s|m|h)?", str(text).strip())
    if not m:
        return None
    value, unit = int(m.group(1)), m.group(2) or "s"
    return value * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]


def labels_match(selector, labels):
    return all(labels.get(k) == v for k, v in (selector or {}).items())


def k8s_policy(path, overlay):
    docs = [d for d in yaml.safe_load_all(open(path)) if d]
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    config = {}
    for cm in by_kind.get("ConfigMap", []):
        config.update(cm.get("data", {}))
    grace = duration_seconds(config.get("PARLEY_SHUTDOWN_GRACE", "10s")) or 10
    deployments = by_kind.get("Deployment", [])
    workloads = deployments + by_kind.get("Job", [])
    for w in workloads:
        name = w["metadata"]["name"]
        pod = w["spec"]["template"]["spec"]
        psc = pod.get("securityContext", {})
        if not psc.get("runAsNonRoot"):
            problem(f"{overlay}: {name}: pod securityContext.runAsNonRoot is not true")
        if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problem(f"{overlay}: {name}: no RuntimeDefault seccomp profile")
        for c in pod["containers"]:
            sc = c.get("securityContext", {})
            if not sc.get("readOnlyRootFilesystem"):
                problem(f"{overlay}: {name}/{c['name']}: root filesystem is writable")
            if sc.get("allowPrivilegeEscalation") is not False:
                problem(f"{overlay}: {name}/{c['name']}: allowPrivilegeEscalation is not false")
            if "ALL" not in sc.get("capabilities", {}).get("drop", []):
                problem(f"{overlay}: {name}/{c['name']}: capabilities not dropped")
            res = c.get("resources", {})
            if "memory" not in res.get("limits", {}) or "cpu" not in res.get("requests", {}):
                problem(f"{overlay}: {name}/{c['name']}: needs cpu request and memory limit")
            if not c.get("image", "").count(":"):
                problem(f"{overlay}: {name}/{c['name']}: image {c.get('image')} has no tag")
            refs = {e.get("configMapRef", {}).get("name") for e in c.get("envFrom", [])} | \
                   {e.get("secretRef", {}).get("name") for e in c.get("envFrom", [])}
            if not {"parley-config", "parley-secrets"} <= refs:
                problem(f"{overlay}: {name}/{c['name']}: envFrom must reference parley-config and parley-secrets")
    for d in deployments:
        name = d["metadata"]["name"]
        pod = d["spec"]["template"]["spec"]
        c = pod["containers"][0]
        for probe, path_ in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            got = c.get(probe, {}).get("httpGet", {}).get("path")
            if got != path_:
                problem(f"{overlay}: {name}: {probe} must GET {path_} (has {got})")
        if not labels_match(d["spec"]["selector"]["matchLabels"], d["spec"]["template"]["metadata"].get("labels", {})):
            problem(f"{overlay}: {name}: selector does not match its pod labels")
        if "serve" in name:
            pre = c.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
            sleep = float(pre[-1]) if pre and pre[0].endswith("sleep") else 0
            if sleep < 5:
                problem(f"{overlay}: {name}: preStop must sleep (5 s or more) while the endpoint is removed")
            need = sleep + grace + 1 + 5  # preStop + PARLEY_SHUTDOWN_GRACE + abort + stop of the rest
            have = pod.get("terminationGracePeriodSeconds", 30)
            if have < need:
                problem(f"{overlay}: {name}: terminationGracePeriodSeconds {have} < preStop {sleep:g} + "
                        f"PARLEY_SHUTDOWN_GRACE {grace:g} + 6 = {need:g}")
    pods = [(d["metadata"]["name"], d["spec"]["template"]["metadata"].get("labels", {})) for d in deployments]
    for s in by_kind.get("Service", []):
        sel = s["spec"].get("selector", {})
        hits = [n for n, l in pods if labels_match(sel, l)]
        if not hits:
            problem(f"{overlay}: Service {s['metadata']['name']} selects no Deployment's pods")
        if s["metadata"]["name"] == "parley" and len(hits) != 1:
            problem(f"{overlay}: Service parley must select exactly one serve Deployment (selects {hits})")
    for p in by_kind.get("PodDisruptionBudget", []):
        if not any(labels_match(p["spec"]["selector"]["matchLabels"], l) for _, l in pods):
            problem(f"{overlay}: PDB {p['metadata']['name']} selects nothing")
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    for h in by_kind.get("HorizontalPodAutoscaler", []):
        ref = h["spec"]["scaleTargetRef"]
        if (ref["kind"], ref["name"]) not in names:
            problem(f"{overlay}: HPA {h['metadata']['name']} targets missing {ref['kind']}/{ref['name']}")
    for i in by_kind.get("Ingress", []):
        for rule in i["spec"].get("rules", []):
            for p in rule["http"]["paths"]:
                svc = p["backend"]["service"]["name"]
                if ("Service", svc) not in names:
                    problem(f"{overlay}: Ingress {i['metadata']['name']} routes to missing Service {svc}")
    for kind, name in (("ServiceAccount", "parley"), ("NetworkPolicy", "parley-serve"),
                       ("Job", "parley-migrate"), ("ServiceMonitor", "parley"), ("PrometheusRule", "parley")):
        if (kind, name) not in names:
            problem(f"{overlay}: {kind}/{name} missing")
    if overlay == "canary":
        ann = next((i["metadata"].get("annotations", {}) for i in by_kind.get("Ingress", [])
                    if i["metadata"]["name"] == "parley-canary"), {})
        if ann.get("nginx.ingress.kubernetes.io/canary") != "true" or "nginx.ingress.kubernetes.io/canary-weight" not in ann:
            problem("canary: Ingress parley-canary lacks the canary annotations")
    print(f"   {len(docs)} objects checked")


def k8s_fields(path, overlay):
    """Every field of every object is one the Kubernetes 1.34 API knows (deploy/schemas/k8s-fields-1.34.json,
    from the official client's generated models): the strictness the schema validation lacks."""
    spec = json.load(open(os.path.join(ROOT, "deploy/schemas/k8s-fields-1.34.json")))
    types, roots = spec["types"], spec["roots"]
    checked = 0

    def walk(value, type_, where):
        m = re.fullmatch(r"Array<(.+)>", type_)
        if m:
            if isinstance(value, list):
                for i, item in enumerate(value):
                    walk(item, m.group(1), f"{where}[{i}]")
            return
        m = re.fullmatch(r"\{ \[key: string\]: (.+); \}", type_)
        if m:
            if isinstance(value, dict):
                for k, v in value.items():
                    walk(v, m.group(1), f"{where}.{k}")
            return
        fields = types.get(type_)
        if fields is None or not isinstance(value, dict):
            return
        for k, v in value.items():
            if k not in fields:
                problem(f"{overlay}: {where}: unknown field {k!r} (for {type_})")
            else:
                walk(v, fields[k], f"{where}.{k}")

    for d in yaml.safe_load_all(open(path)):
        if not d:
            continue
        root = roots.get(f"{d.get('apiVersion')}/{d.get('kind')}")
        if root is None:
            continue  # custom resources (ServiceMonitor, PrometheusRule): validated by type only
        walk(d, root, f"{d['kind']}/{d['metadata']['name']}")
        checked += 1
    print(f"   {checked} objects: no unknown field")


def prometheusrule(write):
    groups = []
    for f in sorted(glob.glob(os.path.join(ROOT, "deploy/monitoring/rules/*.yml"))):
        groups += yaml.safe_load(open(f))["groups"]
    path = os.path.join(ROOT, "deploy/k8s/components/monitoring/prometheusrule.yaml")
    if write:
        doc = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
               "metadata": {"name": "parley", "labels": {"app.kubernetes.io/name": "parley",
                                                          "app.kubernetes.io/part-of": "parley", "release": "prometheus"}},
               "spec": {"groups": groups}}
        with open(path, "w") as out:
            out.write("# Generated from deploy/monitoring/rules/*.yml by scripts/check-deploy --write-prometheusrule.\n"
                      "# Do not edit: edit the rule files and regenerate (check-deploy fails when they differ).\n")
            yaml.safe_dump(doc, out, sort_keys=False, width=100, allow_unicode=True)
        print(f"   wrote {path}")
        return
    have = yaml.safe_load(open(path))
    if have["spec"]["groups"] != groups:
        problem("deploy/k8s/components/monitoring/prometheusrule.yaml differs from deploy/monitoring/rules/*.yml "
                "(run scripts/check-deploy --write-prometheusrule)")
    else:
        print(f"   {sum(len(g['rules']) for g in groups)} rules in {len(groups)} groups, in sync")


def compose():
    import jsonschema
    schema = json.load(open(os.path.join(ROOT, "deploy/schemas/compose-spec.json")))
    doc = yaml.safe_load(open(os.path.join(ROOT, "deploy/compose.yaml")))
    validator = jsonschema.Draft201909Validator(schema)
    for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
        problem(f"compose.yaml: {'/'.join(map(str, e.path))}: {e.message[:200]}")
    services = doc.get("services", {})
    for name, s in services.items():
        deps = s.get("depends_on", {})
        for dep, cond in (deps.items() if isinstance(deps, dict) else [(d, {}) for d in deps]):
            if dep not in services:
                problem(f"compose.yaml: {name} depends on missing service {dep}")
            elif cond.get("condition") == "service_healthy" and "healthcheck" not in services[dep] \
                    and not str(services[dep].get("image", "")).startswith("${PARLEY_IMAGE"):
                problem(f"compose.yaml: {name} waits for {dep} to be healthy but {dep} has no healthcheck")
        for v in s.get("volumes", []):
            src = v.split(":")[0] if isinstance(v, str) else v.get("source")
            if src and not src.startswith((".", "/")) and src not in (doc.get("volumes") or {}):
                problem(f"compose.yaml: {name} uses undeclared volume {src}")
            if src and src.startswith("./") and not os.path.exists(os.path.join(ROOT, "deploy", src)):
                problem(f"compose.yaml: {name} mounts missing {src}")
        for sec in s.get("secrets", []):
            if sec not in (doc.get("secrets") or {}):
                problem(f"compose.yaml: {name} uses undeclared secret {sec}")
    upstreams = set()
    for f in glob.glob(os.path.join(ROOT, "deploy/nginx/upstreams/*.conf")):
        upstreams |= set(re.findall(r"^\s*server\s+([\w.-]+):\d+", open(f).read(), re.M))
    for host in upstreams:
        if host not in services:
            problem(f"nginx upstream server {host} is not a compose service")
    for role in ("serve-1", "serve-2", "worker", "scheduler", "migrate", "postgres", "redis", "rabbitmq", "nginx"):
        if role not in services:
            problem(f"compose.yaml: service {role} missing")
    print(f"   {len(services)} services checked")


def travis():
    doc = yaml.safe_load(open(os.path.join(ROOT, ".travis.yml")))
    known = {"os", "dist", "language", "services", "env", "stages", "jobs", "notifications", "install",
             "script", "before_install", "before_script", "after_script", "addons", "cache", "branches",
             "deploy", "git", "import", "version", "matrix", "arch", "sudo"}
    for k in doc:
        if k not in known:
            problem(f".travis.yml: unknown top-level key {k}")
    stages = [s["name"] if isinstance(s, dict) else s for s in doc.get("stages", [])]
    jobs = doc.get("jobs", {}).get("include", [])
    if not jobs:
        problem(".travis.yml: no jobs.include")
    current = None
    for j in jobs:
        current = j.get("stage", current)
        if current not in stages:
            problem(f".travis.yml: job {j.get('name')} in undeclared stage {current}")
        if not j.get("script"):
            problem(f".travis.yml: job {j.get('name')} has no script")
        for line in j.get("script", []):
            for path in re.findall(r"(?:scripts|deploy/ci)/[\w.-]+", line):
                if not os.path.exists(os.path.join(ROOT, path)):
                    problem(f".travis.yml: {path} does not exist")
    if not any(".ci/run" in " ".join(j.get("script", [])) for j in jobs):
        problem(".travis.yml: no job runs .ci/run")
    print(f"   {len(jobs)} jobs in {len(stages)} stages")


def jenkinsfile():
    text = open(os.path.join(ROOT, "Jenkinsfile")).read()
    code = re.sub(r"//[^\n]*", "", text)
    code = re.sub(r"'''.*?'''", "''", code, flags=re.S)
    code = re.sub(r"'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"", "''", code)
    depth = 0
    for ch in code:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            break
    if depth != 0:
        problem("Jenkinsfile: unbalanced braces")
    if not re.match(r"\s*pipeline\s*\{", code):
        problem("Jenkinsfile: not a declarative pipeline (pipeline { ... })")
    for section in ("agent", "stages", "options", "post"):
        if not re.search(rf"\b{section}\b\s*\{{?", code):
            problem(f"Jenkinsfile: no {section} section")
    stages = re.findall(r"stage\('([^']+)'\)", text)
    for needed in ("Build", "Test", "Image", "Approval", "Production"):
        if needed not in stages:
            problem(f"Jenkinsfile: no stage {needed}")
    for needed in ("matrix", "archiveArtifacts", "input message", "buildingTag()"):
        if needed not in text:
            problem(f"Jenkinsfile: {needed} missing")
    for path in re.findall(r"(?<![\w/])((?:scripts|deploy/ci)/[\w.-]+)", text):
        if not os.path.exists(os.path.join(ROOT, path)):
            problem(f"Jenkinsfile: {path} does not exist")
    print(f"   {len(stages)} stages: {', '.join(stages)}")


def dockerfile():
    text = open(os.path.join(ROOT, "Dockerfile")).read()
    lines = re.sub(r"\\\n", " ", text).splitlines()
    instr = [l.strip() for l in lines if l.strip() and not l.strip().startswith("#")]
    froms = [l for l in instr if l.upper().startswith("FROM ")]
    if len(froms) < 2:
        problem("Dockerfile: not multi-stage")
    final = text[text.rfind("\nFROM "):]
    for needed in ("USER 10001", "HEALTHCHECK", "STOPSIGNAL SIGTERM", "ENTRYPOINT", "org.opencontainers.image.version",
                   "org.opencontainers.image.revision", "org.opencontainers.image.source"):
        if needed not in final:
            problem(f"Dockerfile: final stage lacks {needed}")
    for l in instr:
        m = re.match(r"COPY\s+(?!--from)(\S+)\s", l)
        if m and not os.path.exists(os.path.join(ROOT, m.group(1))):
            problem(f"Dockerfile: COPY source {m.group(1)} does not exist")
    print(f"   {len(froms)} stages, {len(instr)} instructions")


def to_json(overlay):
    docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
    json.dump([{"source": overlay, "object": d} for d in docs], sys.stdout)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "k8s-policy":
        k8s_policy(*args)
    elif cmd == "k8s-fields":
        k8s_fields(*args)
    elif cmd == "prometheusrule":
        prometheusrule("--write" in args)
    elif cmd == "compose":
        compose()
    elif cmd == "travis":
        travis()
    elif cmd == "jenkinsfile":
        jenkinsfile()
    elif cmd == "dockerfile":
        dockerfile()
    elif cmd == "to-json":
        to_json(*args)
    else:
        sys.exit(f"unknown check {cmd}")
    sys.exit(1 if problems else 0)
