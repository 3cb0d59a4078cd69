package io.loraflow.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's settings table is generated from the config definitions; it must not drift. */
class ReadmeTest {

  @Test
  void readmeConfigTableMatchesTheDefinitions() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    int start = readme.indexOf("<!-- config-table:start");
    int end = readme.indexOf("<!-- config-table:end -->");
    assertTrue(start >= 0 && end > start, "README.md has the config-table markers");
    String table = readme.substring(readme.indexOf('\n', start) + 1, end);
    assertEquals(LoraflowConfig.markdownTable(), table,
        "regenerate with: docs/update-readme-config.sh");
  }
}
