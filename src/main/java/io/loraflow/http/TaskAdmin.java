package io.loraflow.http;

import io.loraflow.error.Reason;
import io.loraflow.inference.ModelPackage;
import io.loraflow.inference.TaskRegistry;
import io.loraflow.inference.TaskSpec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code /admin/tasks}: list the tasks, load one ({@code PUT /admin/tasks/NAME} with
 * {@code {"adapter": FILE, "labels": FILE}}, files under the allowed folders) or unload one
 * ({@code DELETE}); in-flight events of an unloaded task finish first. Mounted behind
 * {@link AdminAuth}, and only when an admin token is set.
 */
public final class TaskAdmin {
  private final Supplier<TaskRegistry> tasks;
  private final List<Path> allowedDirs;
  private final boolean multiTask;

  public TaskAdmin(Supplier<TaskRegistry> tasks, List<Path> allowedDirs, boolean multiTask) {
    this.tasks = tasks;
    this.allowedDirs = allowedDirs.stream().map(p -> p.toAbsolutePath().normalize()).toList();
    this.multiTask = multiTask;
  }

  void mount(Router router) {
    router.get("/admin/tasks").handler(rc -> {
      TaskRegistry t = tasks.get();
      json(rc, 200, new JsonObject().put("known", t == null ? new JsonArray() : new JsonArray(List.copyOf(t.names())))
          .put("resident", t == null ? new JsonArray() : new JsonArray(List.copyOf(t.residentNames()))));
    });
    router.put("/admin/tasks/:name").handler(BodyHandler.create().setBodyLimit(64 * 1024));
    router.put("/admin/tasks/:name").handler(this::load);
    router.delete("/admin/tasks/:name").handler(rc -> {
      String name = rc.pathParam("name");
      if (tasks.get() != null && tasks.get().unregister(name)) {
        json(rc, 200, new JsonObject().put("task", name).put("unloaded", true));
      } else {
        Problem.send(rc, 404, Reason.UNKNOWN_TASK.name(), "no task " + name);
      }
    });
  }

  private void load(RoutingContext rc) {
    if (!multiTask || tasks.get() == null) {
      Problem.send(rc, 409, "NOT_MULTI_TASK",
          "this model package serves one merged task; multi-task needs a lora_base_model");
      return;
    }
    JsonObject body;
    try {
      body = rc.body().asJsonObject();
    } catch (RuntimeException e) {
      body = null;
    }
    if (body == null || body.getString("adapter") == null || body.getString("labels") == null) {
      Problem.send(rc, 400, "INVALID_REQUEST", "body must be {\"adapter\": FILE, \"labels\": FILE}");
      return;
    }
    Path adapter = Path.of(body.getString("adapter")).toAbsolutePath().normalize();
    Path labels = Path.of(body.getString("labels")).toAbsolutePath().normalize();
    if (!allowed(adapter) || !allowed(labels)) {
      Problem.send(rc, 403, Reason.FORBIDDEN_TARGET.name(),
          "adapter and labels must be under " + allowedDirs);
      return;
    }
    rc.vertx().executeBlocking(() -> {
      if (!Files.isRegularFile(adapter)) {
        throw new IllegalArgumentException("no adapter file " + adapter);
      }
      tasks.get().register(new TaskSpec(rc.pathParam("name"), adapter, ModelPackage.readLabels(labels)));
      return null;
    }).onComplete(ar -> {
      if (ar.succeeded()) {
        json(rc, 200, new JsonObject().put("task", rc.pathParam("name")).put("loaded", true));
      } else {
        Problem.send(rc, 400, "ADAPTER_NOT_LOADED", ar.cause().getMessage());
      }
    });
  }

  private boolean allowed(Path p) {
    return allowedDirs.stream().anyMatch(p::startsWith);
  }

  private static void json(RoutingContext rc, int status, JsonObject body) {
    rc.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }
}
