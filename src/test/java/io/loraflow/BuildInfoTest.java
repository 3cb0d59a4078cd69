package io.loraflow;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class BuildInfoTest {
  private static Properties props(String version, String commit, String dirty) {
    Properties p = new Properties();
    p.setProperty("version", version);
    p.setProperty("commit", commit);
    p.setProperty("dirty", dirty);
    return p;
  }

  @Test
  void cleanBuildReportsItsCommit() {
    BuildInfo b = BuildInfo.of(props("0.2.0", "bff7c528e6c03502ce86b1a2f5b5b542b2a927f9", "false"));
    assertEquals(new BuildInfo("0.2.0", "bff7c528e6c03502ce86b1a2f5b5b542b2a927f9"), b);
    assertEquals("loraflow 0.2.0 (commit bff7c528e6c03502ce86b1a2f5b5b542b2a927f9)", b.describe());
  }

  @Test
  void localChangesMarkTheCommitDirty() {
    assertEquals("abc-dirty", BuildInfo.of(props("0.2.0-SNAPSHOT", "abc", "true")).commit());
  }

  @Test
  void buildWithoutGitSaysUnknown() {
    // A source tarball: the pom's defaults stay.
    assertEquals(new BuildInfo("0.2.0", "unknown"), BuildInfo.of(props("0.2.0", "unknown", "false")));
    assertEquals("unknown", BuildInfo.of(props("0.2.0", "unknown", "true")).commit());
  }

  @Test
  void unfilteredPlaceholdersAreUnknown() {
    // Run from sources without Maven's resource filtering.
    assertEquals(new BuildInfo("unknown", "unknown"),
        BuildInfo.of(props("${project.version}", "${git.commit.id.full}", "${git.dirty}")));
    assertEquals(new BuildInfo("unknown", "unknown"), BuildInfo.of(new Properties()));
  }
}
