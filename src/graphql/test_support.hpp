#pragma once
// Test-only helpers for the GraphQL unit tests: the spec's example schema (section 5) and small
// wrappers that run the engine synchronously. Header-only; included by *_test.cpp files only.
#include "core/testing.hpp"
#include "graphql/engine.hpp"
#include "graphql/parser.hpp"
#include "graphql/sdl_builder.hpp"
#include "graphql/validation/validate.hpp"

#include <string>
#include <vector>

namespace parley::graphql::test {

// The schema of the spec's validation examples (5.1), plus Arguments (5.4) and root operations.
inline constexpr const char* kSpecSdl = R"GQL(
type Query {
  dog: Dog
  findDog(searchBy: FindDogInput): Dog
  arguments: Arguments
  human: Human
  pet: Pet
  catOrDog: CatOrDog
}
type Mutation { mutateDog: Dog }
type Subscription { newMessage: Message disallowedSecondRootField: Boolean }
type Message { body: String sender: String }

enum DogCommand { SIT, DOWN, HEEL }

type Dog implements Pet {
  name: String!
  nickname: String
  barkVolume: Int
  doesKnowCommand(dogCommand: DogCommand!): Boolean!
  isHouseTrained(atOtherHomes: Boolean): Boolean!
  owner: Human
}

interface Sentient { name: String! }
interface Pet { name: String! }

type Alien implements Sentient { name: String! homePlanet: String }
type Human implements Sentient { name: String! pets: [Pet!] }

enum CatCommand { JUMP }

type Cat implements Pet {
  name: String!
  nickname: String
  doesKnowCommand(catCommand: CatCommand!): Boolean!
  meowVolume: Int
}

union CatOrDog = Cat | Dog
union DogOrHuman = Dog | Human
union HumanOrAlien = Human | Alien

input FindDogInput { name: String owner: String }

type Arguments {
  multipleRequirements(x: Int!, y: Int!): Int!
  booleanArgField(booleanArg: Boolean): Boolean
  floatArgField(floatArg: Float): Float
  intArgField(intArg: Int): Int
  nonNullBooleanArgField(nonNullBooleanArg: Boolean!): Boolean!
  booleanListArgField(booleanListArg: [Boolean]!): [Boolean]
  optionalNonNullBooleanArgField(optionalBooleanArg: Boolean! = false): Boolean!
  nonNullListArg(list: [Boolean!]!): Boolean
  findDog(searchBy: ComplexInput): Dog
}

input ComplexInput { name: String! owner: String tags: [String!] }
)GQL";

inline const Schema& spec_schema() {
  static std::shared_ptr<Schema> schema = build_schema_or_throw(kSpecSdl);
  return *schema;
}

// Validation messages of `query` against the spec schema (a parse error is returned as its message).
inline std::vector<std::string> validate_messages(const std::string& query, const Schema& schema = spec_schema()) {
  std::vector<std::string> out;
  try {
    Document doc = parse(query);
    for (const auto& e : validate(schema, doc)) out.push_back(e.message);
  } catch (const SyntaxError& e) {
    out.push_back(e.what());
  }
  return out;
}

inline std::string joined(const std::vector<std::string>& messages) {
  std::string out;
  for (const auto& m : messages) out += m + "\n";
  return out;
}

// Runs engine.execute synchronously on a fresh io_context.
inline boost::json::object run(const Engine& engine, Request request) {
  return parley::testing::run_awaitable(engine.execute(std::move(request)));
}

inline boost::json::object run(const Engine& engine, const std::string& query, boost::json::object variables = {},
                               void* context = nullptr) {
  Request r;
  r.query = query;
  r.variables = std::move(variables);
  r.context = context;
  return run(engine, std::move(r));
}

}  // namespace parley::graphql::test
