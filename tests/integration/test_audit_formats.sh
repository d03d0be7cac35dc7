#!/usr/bin/env bash
# admitd audit for CI pipelines: SARIF checked by Microsoft's SARIF
# Multitool (npm, test-only), JUnit read by Debian's python3-junitparser,
# both real consumers of those formats.
source "$(dirname "$0")/lib.sh"
A=$DATA/audit

# Debian's python3, where Debian's junitparser is (python3 may be another build)
DEBPY=/usr/bin/python3
if ! $DEBPY -c 'import junitparser' 2>/dev/null; then
	apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-junitparser >/dev/null
fi
SARIF=$(bash "$TOP/tests/integration/install-sarif.sh" 2>"$WORK/sarif-install.err") || cat "$WORK/sarif-install.err"

cfg=$WORK/cfg.yaml
cat > "$cfg" <<'YAML'
podSecurity: {level: baseline, action: deny}
policies:
  - {id: resource-limits, action: warn}
YAML

# ---- SARIF ----
"$ADMITD" audit --config "$cfg" --output sarif "$A/manifests.yaml" "$A/broken.yaml" >"$WORK/out.sarif" 2>/dev/null; rc=$?
check "sarif: an input error still exits 2" [ "$rc" = 2 ]
sarif_validate() { # FILE: 0 when the Multitool reports no error for it
	"$SARIF" validate --log ForceOverwrite -o "$WORK/validate.log" "$1" >"$WORK/validate.out" 2>&1 &&
		! grep -q ': error ' "$WORK/validate.out" &&
		python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["runs"][0]["results"]; sys.exit(any(x.get("level")=="error" for x in r))' "$WORK/validate.log"
}
check "sarif: the SARIF Multitool validates the report" sarif_validate "$WORK/out.sarif"
# the validator itself is alive: a report without its driver is refused
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["runs"][0]["tool"]["driver"]; json.dump(d, open(sys.argv[2],"w"))' \
	"$WORK/out.sarif" "$WORK/broken.sarif"
sarif_refuses() { ! sarif_validate "$1"; }
check "sarif: (control) the Multitool refuses a broken copy" sarif_refuses "$WORK/broken.sarif"
sarif_py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); run=d['runs'][0]; $1" "$WORK/out.sarif"; }
check "sarif: one rule per policy that is on, with its page as help" \
	[ "$(sarif_py 'r={x["id"]: x for x in run["tool"]["driver"]["rules"]}; print("privileged" in r, "resource-limits" in r, "seccomp-restricted" in r, "privileged" in r["privileged"]["help"]["markdown"])')" = "True True False True" ]
check "sarif: a result per violation, at the file and line of its object" \
	[ "$(sarif_py 'x=[r for r in run["results"] if r["ruleId"]=="privileged"][0]; p=x["locations"][0]["physicalLocation"]; print(x["level"], p["artifactLocation"]["uri"].split("/")[-1], p["region"]["startLine"])')" = "error manifests.yaml 11" ]
check "sarif: the object is the logical location" \
	[ "$(sarif_py 'x=[r for r in run["results"] if r["ruleId"]=="privileged"][0]; print(x["locations"][0]["logicalLocations"][0]["fullyQualifiedName"])')" = "ops/CronJob/backup" ]
check "sarif: warn is a warning" \
	[ "$(sarif_py 'print(sorted({r["level"] for r in run["results"] if r["ruleId"]=="resource-limits"}))')" = "['warning']" ]
check "sarif: the input error is a notification of an unsuccessful run" \
	[ "$(sarif_py 'i=run["invocations"][0]; print(i["executionSuccessful"], i["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"]["region"]["startLine"])')" = "False 5" ]

# ---- JUnit ----
"$ADMITD" audit --config "$cfg" --output junit "$A/manifests.yaml" "$A/broken.yaml" "$WORK/nothing-here.yaml" >"$WORK/out.xml" 2>/dev/null
junit() { $DEBPY -c "from junitparser import JUnitXml, Failure, Skipped, Error; x=JUnitXml.fromfile('$WORK/out.xml'); suites={s.name: s for s in x}; $1"; }
check "junit: junitparser reads a suite per object" \
	[ "$(junit 'print("ops/CronJob/backup" in suites)')" = True ]
check "junit: a case per policy that is on, the denied one failed" \
	[ "$(junit 's=suites["ops/CronJob/backup"]; c={c.name: c for c in s}; print(len(c) == s.tests, isinstance(c["privileged"].result[0], Failure), c["host-namespaces"].result == [])')" = "True True True" ]
check "junit: the suite's counts agree with its cases" \
	[ "$(junit 'print(all(s.failures == sum(1 for c in s if any(isinstance(r, Failure) for r in c.result)) for s in x))')" = True ]
check "junit: a warning does not fail its case by default" \
	[ "$(junit 'print(sorted({type(r).__name__ for s in x for c in s if c.name == "resource-limits" for r in c.result}))')" = "[]" ]
"$ADMITD" audit --config "$cfg" --fail-on deny,warn --output junit "$A/manifests.yaml" >"$WORK/out.xml" 2>/dev/null
check "junit: with --fail-on deny,warn it does" \
	[ "$(junit 'print(sorted({type(r).__name__ for s in x for c in s if c.name == "resource-limits" for r in c.result}))')" = "['Failure']" ]
"$ADMITD" audit --config "$cfg" --output junit "$A/manifests.yaml" "$A/broken.yaml" "$WORK/nothing-here.yaml" >"$WORK/out.xml" 2>/dev/null
check "junit: input errors are error cases naming the file" \
	[ "$(junit 's=suites["admitd input"]; print(s.errors, sorted(c.name.split("/")[-1] for c in s))')" = "2 ['broken.yaml', 'nothing-here.yaml']" ]
cat > "$WORK/exempt.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: "a<b&c", namespace: kube-system}
spec: {hostNetwork: true, containers: [{name: c, image: x}]}
YAML
"$ADMITD" audit --output junit "$WORK/exempt.yaml" >"$WORK/out.xml"
check "junit: an exempt object's cases are skipped, and names are escaped" \
	[ "$(junit 's=suites["kube-system/Pod/a<b&c"]; print(s.skipped == s.tests, all(isinstance(c.result[0], Skipped) for c in s))')" = "True True" ]

# ---- PolicyReports and OpenReports, split below the API server's limits ----
python3 - "$WORK/big.json" <<'PY'
import json, sys
pods = [{"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "p-%04d" % i, "namespace": "big", "uid": "u-%d" % i},
         "spec": {"hostNetwork": True, "containers": [{"name": "c", "image": "nginx",
                  "securityContext": {"privileged": True}}]}} for i in range(3000)]
json.dump({"apiVersion": "v1", "kind": "List", "items": pods}, open(sys.argv[1], "w"))
PY
for fmt in policyreport openreports; do
	"$ADMITD" audit --output $fmt "$WORK/big.json" >"$WORK/$fmt.json"; rc=$?
	check "$fmt: 3,000 failing pods in one namespace exit 1" [ "$rc" = 1 ]
	split=$(python3 - "$WORK/$fmt.json" "$WORK/$fmt.sizes" <<'PY'
import json, sys
items = json.load(open(sys.argv[1]))["items"]
sizes = [len(json.dumps(i, separators=(",", ":"))) for i in items]
names = [i["metadata"]["name"] for i in items]
fails = sum(i["summary"]["fail"] for i in items)
results = sum(len(i["results"]) for i in items)
ok = (len(items) > 1 and max(sizes) < 1.5 * 1024 * 1024
      and names == ["admitd-big"] + ["admitd-big-%d" % k for k in range(2, len(items) + 1)]
      and fails == results == len({(r["resources"][0]["name"], r["policy"]) for i in items for r in i["results"]}))
print("split" if ok else "not split: %d reports, sizes %s, names %s" % (len(items), sizes, names[:3]))
PY
)
	check "$fmt: split into reports below 1.5 MiB, named admitd-big, admitd-big-2, ..., no result lost" [ "$split" = split ]
done
check "openreports: openreports.io/v1alpha1 Report with its source" \
	python3 -c 'import json,sys; i=json.load(open(sys.argv[1]))["items"][0]; assert (i["apiVersion"], i["kind"], i["source"]) == ("openreports.io/v1alpha1", "Report", "admitd"), i["kind"]' "$WORK/openreports.json"
"$ADMITD" audit --output policyreport --report-bytes 100000 "$WORK/big.json" >"$WORK/small.json"
check "policyreport: --report-bytes makes smaller reports" \
	python3 -c 'import json,sys; a=len(json.load(open(sys.argv[1]))["items"]); b=len(json.load(open(sys.argv[2]))["items"]); assert b > a, (a, b)' "$WORK/policyreport.json" "$WORK/small.json"
"$ADMITD" audit --output policyreport --report-bytes 999 "$WORK/big.json" >/dev/null 2>"$WORK/rb.err"; rc=$?
check "policyreport: --report-bytes out of range is a usage error" [ "$rc" = 2 ]
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: bad, namespace: x}\nspec: {containers: 5}\n' > "$WORK/malformed.yaml"
"$ADMITD" audit --output junit "$WORK/malformed.yaml" >"$WORK/out.xml"
check "junit: an object admitd cannot judge is a failed case of its own" \
	[ "$(junit 's=suites["x/Pod/bad"]; c={c.name: c for c in s}; print(s.failures, isinstance(c["admitd"].result[0], Failure), "malformed" in c["admitd"].result[0].message)')" = "1 True True" ]
