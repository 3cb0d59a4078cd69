package io.loraflow.deploy;

import static io.loraflow.deploy.DeployFiles.at;
import static io.loraflow.deploy.DeployFiles.list;
import static io.loraflow.deploy.DeployFiles.map;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the loraflow manifests owe a cluster, as a list of problems: the Deployment leaves its
 * replica count to KEDA, gets no service links and no API token, spreads over zones and nodes and
 * has a startup probe that waits for the model; the ScaledObject authenticates through a
 * TriggerAuthentication that exists, falls back to a replica count when the lag cannot be read
 * and has an activation threshold. Applied to the files and to {@code kubectl kustomize} output.
 */
final class KubernetesConventions {
  private final List<Map<String, Object>> docs;
  private final List<String> problems = new ArrayList<>();

  private KubernetesConventions(List<Map<String, Object>> docs) {
    this.docs = docs;
  }

  /** The problems of one set of manifests (what one {@code kubectl apply -k} would create). */
  static List<String> check(List<Map<String, Object>> docs) {
    KubernetesConventions c = new KubernetesConventions(docs);
    c.deployment();
    c.scaledObject();
    return c.problems;
  }

  private List<Map<String, Object>> kind(String kind) {
    return docs.stream().filter(d -> kind.equals(d.get("kind"))).toList();
  }

  /** The one object of {@code kind}, or null (and a problem). */
  private Map<String, Object> single(String kind) {
    List<Map<String, Object>> found = kind(kind);
    if (found.size() != 1) {
      problems.add("expected one " + kind + ", found " + found.size());
      return null;
    }
    return found.get(0);
  }

  private void deployment() {
    Map<String, Object> d = single("Deployment");
    if (d == null) {
      return;
    }
    if (at(d, "spec", "replicas") != null) {
      problems.add("Deployment sets spec.replicas: every apply would reset the count KEDA chose");
    }
    Map<String, Object> pod = DeployFiles.podSpec(d);
    if (!Boolean.FALSE.equals(pod.get("enableServiceLinks"))) {
      problems.add("pod spec: enableServiceLinks must be false (no LORAFLOW_PORT=tcp://... from the Service)");
    }
    if (!Boolean.FALSE.equals(pod.get("automountServiceAccountToken"))) {
      problems.add("pod spec: automountServiceAccountToken must be false (loraflow never calls the API)");
    }
    Map<String, Object> labels = map(at(d, "spec", "template", "metadata", "labels"));
    List<String> keys = new ArrayList<>();
    for (Object t : list(pod.get("topologySpreadConstraints"))) {
      Map<String, Object> tsc = map(t);
      keys.add(String.valueOf(tsc.get("topologyKey")));
      Map<String, Object> selector = map(at(tsc, "labelSelector", "matchLabels"));
      boolean selectsPods = !selector.isEmpty()
          && selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
      if (!selectsPods) {
        problems.add("topologySpreadConstraints " + tsc.get("topologyKey") + ": labelSelector misses the pods");
      }
    }
    for (String key : List.of("topology.kubernetes.io/zone", "kubernetes.io/hostname")) {
      if (!keys.contains(key)) {
        problems.add("pod spec: no topologySpreadConstraints over " + key);
      }
    }
    Map<String, Object> c = DeployFiles.containers(pod).stream().filter(DeployFiles::isLoraflowContainer)
        .findFirst().orElse(Map.of());
    probe(c, "startupProbe", "/health/started");
    probe(c, "livenessProbe", "/health/live");
    probe(c, "readinessProbe", "/health/ready");
  }

  private void probe(Map<String, Object> container, String probe, String path) {
    Object actual = at(container, probe, "httpGet", "path");
    if (!path.equals(actual)) {
      problems.add("loraflow container: " + probe + " should GET " + path + ", not " + actual);
    }
  }

  private void scaledObject() {
    Map<String, Object> so = single("ScaledObject");
    if (so == null) {
      return;
    }
    int min = ((Number) map(so.get("spec")).getOrDefault("minReplicaCount", 0)).intValue();
    Object max = at(so, "spec", "maxReplicaCount");
    Object fallbackReplicas = at(so, "spec", "fallback", "replicas");
    Object failureThreshold = at(so, "spec", "fallback", "failureThreshold");
    if (!(fallbackReplicas instanceof Number r && max instanceof Number m && r.intValue() >= Math.max(1, min)
        && r.intValue() <= m.intValue() && failureThreshold instanceof Number f && f.intValue() >= 1)) {
      problems.add("ScaledObject: fallback needs failureThreshold >= 1 and replicas within min..maxReplicaCount");
    }
    List<String> auths = kind("TriggerAuthentication").stream().map(a -> String.valueOf(at(a, "metadata", "name")))
        .toList();
    for (Object t : list(at(so, "spec", "triggers"))) {
      Map<String, Object> trigger = map(t);
      // The kafka trigger needs the cluster's credentials; a prometheus one may have its own.
      boolean kafka = "kafka".equals(trigger.get("type"));
      Object auth = at(trigger, "authenticationRef", "name");
      if ((kafka || auth != null) && (auth == null || !auths.contains(String.valueOf(auth)))) {
        problems.add("ScaledObject trigger " + trigger.get("type") + ": authenticationRef " + auth
            + " is not a TriggerAuthentication of these manifests " + auths);
      }
      String activationKey = kafka ? "activationLagThreshold" : "activationThreshold";
      Object activation = at(trigger, "metadata", activationKey);
      if (!(activation instanceof String s && s.matches("\\d+"))) {
        problems.add("ScaledObject trigger " + trigger.get("type") + ": " + activationKey + " must be a quoted "
            + "number, not " + activation);
      }
    }
  }
}
