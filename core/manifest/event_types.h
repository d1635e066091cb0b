// The event types the Serverless Framework knows (its AWS provider's `functions.F.events`), and
// what fx does with each one it does not run locally, so that no event is dropped without a word.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace fx::manifest {

struct Service;

// One type of event: its key in the manifest, and for those fx does not run locally, what
// happens instead (a sentence fragment: "fx serves no WebSocket API locally").
struct EventType {
  std::string_view key;
  bool local;  // fx runs it on the emulator
  std::string_view instead;
};

// The type named `key` ("websocket"), or nullptr when the framework knows no such type.
const EventType* find_event_type(std::string_view key);

// Every known type, in the framework's documentation order.
const std::vector<EventType>& event_types();

// One line for each function and type of event that runs only on AWS (the function's
// OtherEvents), naming the first such event's place, what fx does instead, and how to call the
// function by hand: what `fx deploy` to the emulator says once.
std::vector<std::string> local_event_notes(const Service& service);

}  // namespace fx::manifest
