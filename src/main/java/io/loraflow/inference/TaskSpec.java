package io.loraflow.inference;

import java.nio.file.Path;
import java.util.List;

/**
 * One task a model package serves: its LoRA adapter file ({@code null}: the base graph's own
 * weights, i.e. the merged foundation task) and its labels.
 */
public record TaskSpec(String name, Path adapter, List<String> labels) {
}
