package io.loraflow;

public final class Main {
  public static void main(String[] args) {
  }
}
