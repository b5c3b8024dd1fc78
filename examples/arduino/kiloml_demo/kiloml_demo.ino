// kiloml_demo.ino: a kiloml model on an Arduino Uno (ATmega328P, 16 MHz).
//
// Prepare (see ../README.md): export the model into src/model.h with the prefix KML_MODEL and
// copy the runtime into src/:
//   kiloml export har2.q.kml --target atmega328p --name KML_MODEL -o examples/arduino/kiloml_demo/src/model.h
//   sh examples/arduino/copy_runtime.sh
//
// At start-up it runs the header's self-check window and prints whether the board reproduces the
// desktop's output, and how long one step takes. Then it streams: every SAMPLE_MS it reads the
// analog pins A0.. (one per feature, up to 6), feeds one step, and every WINDOW steps prints the
// class and starts a new window.
#include "src/kiloml_glue.h"

static const unsigned long SAMPLE_MS = 20;  // 50 Hz, as the HAR recordings
static const uint16_t WINDOW = 128;         // steps per decision

static int16_t sample[32];
static uint16_t steps;

void setup()
{
  Serial.begin(115200);
  int status = kiloml_begin();
  if (status != 0) {
    Serial.print(F("kiloml: model rejected by the runtime, status "));
    Serial.println(status);
    for (;;) {}
  }
  unsigned long t0 = micros();
  int ok = kiloml_self_check();
  unsigned long t1 = micros();
  Serial.print(F("kiloml: self-check "));
  Serial.println(ok ? F("passed") : F("FAILED"));
  Serial.print(F("kiloml: "));
  Serial.print((t1 - t0) / kiloml_test_steps());
  Serial.println(F(" us per step"));
}

void loop()
{
  static unsigned long next;
  if ((long)(millis() - next) < 0) return;
  next += SAMPLE_MS;
  uint16_t d = kiloml_features();
  for (uint16_t i = 0; i < d && i < 32; i++) {
    // pins A0..A5 cycle for features beyond 6; 10-bit reading centred and scaled to Q8 (+-2.0)
    int raw = analogRead(A0 + (i % 6));
    sample[i] = (int16_t)(raw - 512);
  }
  kiloml_step(sample);
  if (++steps == WINDOW) {
    Serial.print(F("class "));
    Serial.println(kiloml_classify());
    kiloml_reset();
    steps = 0;
  }
}
