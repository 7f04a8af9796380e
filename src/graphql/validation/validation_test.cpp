// Each rule of spec section 5, with the spec's own examples where it gives them.
#include "graphql/test_support.hpp"

#include <gtest/gtest.h>

namespace parley::graphql {
namespace {

using test::joined;
using test::validate_messages;

void expect_valid(const std::string& query) {
  auto m = validate_messages(query);
  EXPECT_TRUE(m.empty()) << query << "\n" << joined(m);
}

void expect_invalid(const std::string& query, const std::string& fragment) {
  auto m = validate_messages(query);
  EXPECT_NE(joined(m).find(fragment), std::string::npos) << query << "\nexpected: " << fragment << "\ngot: " << joined(m);
}

// 5.1.1
TEST(GraphqlValidation, ExecutableDefinitions) {
  expect_invalid("query getDogName { dog { name } } extend type Dog { color: String }", "not executable");
}

// 5.2.1.1
TEST(GraphqlValidation, OperationNameUniqueness) {
  expect_valid("query getDogName { dog { name } } query getOwnerName { dog { owner { name } } }");
  expect_invalid("query getName { dog { name } } query getName { dog { owner { name } } }",
                 "There can be only one operation named \"getName\".");
  expect_invalid("query dogOperation { dog { name } } mutation dogOperation { mutateDog { name } }",
                 "only one operation named");
}

// 5.2.2.1
TEST(GraphqlValidation, LoneAnonymousOperation) {
  expect_valid("{ dog { name } }");
  expect_invalid("{ dog { name } } query getName { dog { owner { name } } }", "anonymous operation must be the only");
}

// 5.2.3.1
TEST(GraphqlValidation, SubscriptionSingleRootField) {
  expect_valid("subscription sub { newMessage { body sender } }");
  expect_valid("subscription sub { ...newMessageFields } fragment newMessageFields on Subscription { newMessage { body } }");
  expect_invalid("subscription sub { newMessage { body } disallowedSecondRootField }", "must select only one top level field");
  expect_invalid(
      "subscription sub { ...multipleSubscriptions } fragment multipleSubscriptions on Subscription { newMessage { body } "
      "disallowedSecondRootField }",
      "must select only one top level field");
  expect_invalid("subscription sub { newMessage { body } __typename }", "must select only one top level field");
  expect_invalid("subscription { __typename }", "must not select an introspection top level field");
}

// 5.3.1
TEST(GraphqlValidation, FieldSelectionsOnTypes) {
  expect_valid("{ dog { ...interfaceFieldSelection } } fragment interfaceFieldSelection on Pet { name }");
  expect_invalid("{ dog { ...fieldNotDefined } } fragment fieldNotDefined on Dog { meowVolume }",
                 "Cannot query field \"meowVolume\" on type \"Dog\".");
  expect_invalid("{ dog { ...aliasedLyingFieldTargetNotDefined } } fragment aliasedLyingFieldTargetNotDefined on Dog { barkVolume: kawVolume }",
                 "Cannot query field \"kawVolume\"");
  expect_invalid("{ pet { ...definedOnImplementorsButNotInterface } } fragment definedOnImplementorsButNotInterface on Pet { nickname }",
                 "Cannot query field \"nickname\" on type \"Pet\".");
  expect_valid("{ catOrDog { ...inDirectFieldSelectionOnUnion } } fragment inDirectFieldSelectionOnUnion on CatOrDog { __typename ... on Pet { name } ... on Dog { barkVolume } }");
  expect_invalid("{ catOrDog { ...directFieldSelectionOnUnion } } fragment directFieldSelectionOnUnion on CatOrDog { name barkVolume }",
                 "Cannot query field \"name\" on type \"CatOrDog\".");
}

// 5.3.2
TEST(GraphqlValidation, FieldSelectionMerging) {
  expect_valid("{ dog { ...mergeIdenticalFields } } fragment mergeIdenticalFields on Dog { name name }");
  expect_valid("{ dog { ...mergeIdenticalAliasesAndFields } } fragment mergeIdenticalAliasesAndFields on Dog { otherName: name otherName: name }");
  expect_invalid("{ dog { ...conflictingBecauseAlias } } fragment conflictingBecauseAlias on Dog { name: nickname name }",
                 "Fields \"name\" conflict because \"nickname\" and \"name\" are different fields.");
  expect_valid("{ dog { ...mergeIdenticalFieldsWithIdenticalArgs } } "
               "fragment mergeIdenticalFieldsWithIdenticalArgs on Dog { doesKnowCommand(dogCommand: SIT) doesKnowCommand(dogCommand: SIT) }");
  expect_valid("query ($dogCommand: DogCommand!) { dog { ...mergeIdenticalFieldsWithIdenticalValues } } "
               "fragment mergeIdenticalFieldsWithIdenticalValues on Dog { doesKnowCommand(dogCommand: $dogCommand) doesKnowCommand(dogCommand: $dogCommand) }");
  expect_invalid("{ dog { ...conflictingArgsOnValues } } fragment conflictingArgsOnValues on Dog { doesKnowCommand(dogCommand: SIT) doesKnowCommand(dogCommand: HEEL) }",
                 "they have differing arguments");
  expect_invalid("query ($dogCommand: DogCommand!) { dog { ...conflictingArgsValueAndVar } } fragment conflictingArgsValueAndVar on Dog { doesKnowCommand(dogCommand: SIT) doesKnowCommand(dogCommand: $dogCommand) }",
                 "differing arguments");
  expect_invalid("{ dog { ...differingArgs } } fragment differingArgs on Dog { isHouseTrained(atOtherHomes: true) isHouseTrained }",
                 "differing arguments");
  expect_valid("{ pet { ...safeDifferingFields } } fragment safeDifferingFields on Pet { ... on Dog { volume: barkVolume } ... on Cat { volume: meowVolume } }");
  expect_valid("{ pet { ...safeDifferingArgs } } fragment safeDifferingArgs on Pet { ... on Dog { doesKnowCommand(dogCommand: SIT) } ... on Cat { doesKnowCommand(catCommand: JUMP) } }");
  expect_invalid("{ pet { ...conflictingDifferingResponses } } fragment conflictingDifferingResponses on Pet { ... on Dog { someValue: nickname } ... on Cat { someValue: meowVolume } }",
                 "they return conflicting types \"String\" and \"Int\"");
  expect_invalid("{ dog { owner { name } } dog { owner: nickname } }", "Fields \"dog\" conflict because subfields \"owner\" conflict");
  expect_invalid("{ dog { name } ... on Query { dog { name: nickname } } }", "subfields \"name\" conflict");
}

TEST(GraphqlValidation, FieldMergingOfManyIdenticalFieldsIsCheap) {
  std::string q = "{ dog {";
  for (int i = 0; i < 3000; ++i) q += " name: name";
  q += " } }";
  auto start = std::chrono::steady_clock::now();
  expect_valid(q);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST(GraphqlValidation, FieldMergingGivesUpAfterItsBudget) {
  std::string q = "{ dog {";
  for (int i = 0; i < 1500; ++i) q += " x: doesKnowCommand(dogCommand: SIT) x: doesKnowCommand(dogCommand: SIT)";
  q += " } }";
  Document doc = parse(q, ParseOptions{100000, 100});
  ValidationOptions options;
  options.max_overlap_comparisons = 1000;
  auto start = std::chrono::steady_clock::now();
  auto errors = validate(test::spec_schema(), doc, options);
  EXPECT_TRUE(errors.empty());  // identical text: compared once
  // 200 textually different (but mergeable) copies: 19,900 pairs, over a budget of 1,000.
  std::string q2 = "{ dog {";
  for (int i = 0; i < 200; ++i) q2 += " x: doesKnowCommand(dogCommand:" + std::string(static_cast<std::size_t>(i + 1), ' ') + "SIT)";
  q2 += " } }";
  Document doc2 = parse(q2, ParseOptions{100000, 100});
  errors = validate(test::spec_schema(), doc2, options);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("too complex"), std::string::npos) << errors[0].message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

// 5.3.3
TEST(GraphqlValidation, LeafFieldSelections) {
  expect_valid("{ dog { ...scalarSelection } } fragment scalarSelection on Dog { barkVolume }");
  expect_invalid("{ dog { ...scalarSelectionsNotAllowedOnInt } } fragment scalarSelectionsNotAllowedOnInt on Dog { barkVolume { sinceWhen } }",
                 "Field \"barkVolume\" must not have a selection since type \"Int\" has no subfields.");
  expect_invalid("query directQueryOnObjectWithoutSubFields { human }",
                 "Field \"human\" of type \"Human\" must have a selection of subfields.");
  expect_invalid("query directQueryOnInterfaceWithoutSubFields { pet }", "must have a selection of subfields");
  expect_invalid("query directQueryOnUnionWithoutSubFields { catOrDog }", "must have a selection of subfields");
}

// 5.4.1, 5.4.2, 5.4.2.1
TEST(GraphqlValidation, Arguments) {
  expect_valid("{ dog { ...argOnRequiredArg } } fragment argOnRequiredArg on Dog { doesKnowCommand(dogCommand: SIT) }");
  expect_valid("{ dog { ...argOnOptional } } fragment argOnOptional on Dog { isHouseTrained(atOtherHomes: true) @include(if: true) }");
  expect_invalid("{ dog { ...invalidArgName } } fragment invalidArgName on Dog { doesKnowCommand(command: CLEAN_UP_HOUSE) }",
                 "Unknown argument \"command\" on field \"Dog.doesKnowCommand\".");
  expect_invalid("{ dog { ...invalidArgName } } fragment invalidArgName on Dog { isHouseTrained(atOtherHomes: true) @include(unless: false) }",
                 "Unknown argument \"unless\" on directive \"@include\".");
  expect_valid("{ arguments { ...multipleArgs ...multipleArgsReverseOrder } } fragment multipleArgs on Arguments { multipleRequirements(x: 1, y: 2) } "
               "fragment multipleArgsReverseOrder on Arguments { multipleRequirements(y: 2, x: 1) }");
  expect_invalid("{ arguments { multipleRequirements(x: 1, x: 2, y: 3) } }", "There can be only one argument named \"x\".");
  expect_valid("{ arguments { booleanArgField optionalNonNullBooleanArgField } }");
  expect_invalid("{ arguments { nonNullBooleanArgField } }",
                 "Field \"nonNullBooleanArgField\" argument \"nonNullBooleanArg\" of type \"Boolean!\" is required, but it was not provided.");
  expect_invalid("{ arguments { nonNullBooleanArgField(nonNullBooleanArg: null) } }", "Expected value of type \"Boolean!\", found null.");
  expect_invalid("{ dog @skip { name } }", "argument \"if\" of type \"Boolean!\" is required");
}

// 5.5.1.1 - 5.5.1.4
TEST(GraphqlValidation, FragmentDeclarations) {
  expect_valid("{ dog { ...fragmentOne ...fragmentTwo } } fragment fragmentOne on Dog { name } fragment fragmentTwo on Dog { owner { name } }");
  expect_invalid("{ dog { ...fragmentOne } } fragment fragmentOne on Dog { name } fragment fragmentOne on Dog { owner { name } }",
                 "There can be only one fragment named \"fragmentOne\".");
  expect_valid("{ dog { ...correctType ...inlineFragment ...inlineFragment2 } } fragment correctType on Dog { name } "
               "fragment inlineFragment on Dog { ... on Dog { name } } fragment inlineFragment2 on Dog { ... @include(if: true) { name } }");
  expect_invalid("{ dog { ...notOnExistingType } } fragment notOnExistingType on NotInSchema { name }", "Unknown type \"NotInSchema\".");
  expect_invalid("{ dog { ...inlineNotExistingType } } fragment inlineNotExistingType on Dog { ... on NotInSchema { name } }",
                 "Unknown type \"NotInSchema\".");
  expect_valid("{ dog { ...fragOnObject ...fragOnInterface ...fragOnUnion } } fragment fragOnObject on Dog { name } "
               "fragment fragOnInterface on Pet { name } fragment fragOnUnion on CatOrDog { ... on Dog { name } }");
  expect_invalid("{ dog { ...fragOnScalar } } fragment fragOnScalar on Int { something }",
                 "Fragment \"fragOnScalar\" cannot condition on non composite type \"Int\".");
  expect_invalid("{ dog { ...inlineFragOnScalar } } fragment inlineFragOnScalar on Dog { ... on Boolean { somethingElse } }",
                 "Fragment cannot condition on non composite type \"Boolean\".");
  expect_invalid("fragment nameFragment on Dog { name } { dog { name } }", "Fragment \"nameFragment\" is never used.");
}

// 5.5.2.1 - 5.5.2.3
TEST(GraphqlValidation, FragmentSpreads) {
  expect_invalid("{ dog { ...undefinedFragment } }", "Unknown fragment \"undefinedFragment\".");
  expect_invalid("{ dog { ...nameFragment } } fragment nameFragment on Dog { name ...barkVolumeFragment } "
                 "fragment barkVolumeFragment on Dog { barkVolume ...nameFragment }",
                 "Cannot spread fragment \"nameFragment\" within itself via \"barkVolumeFragment\".");
  expect_invalid("{ dog { ...dogFragment } } fragment dogFragment on Dog { name owner { ...ownerFragment } } "
                 "fragment ownerFragment on Human { name pets { ...dogFragment } }",
                 "Cannot spread fragment \"dogFragment\" within itself via \"ownerFragment\".");
  expect_invalid("{ dog { ...selfFragment } } fragment selfFragment on Dog { ...selfFragment }",
                 "Cannot spread fragment \"selfFragment\" within itself.");
  expect_valid("{ dog { ...dogFragment } } fragment dogFragment on Dog { ... on Dog { barkVolume } }");
  expect_invalid("{ dog { ...catInDogFragmentInvalid } } fragment catInDogFragmentInvalid on Dog { ... on Cat { meowVolume } }",
                 "Fragment cannot be spread here as objects of type \"Dog\" can never be of type \"Cat\".");
  expect_valid("{ dog { ...interfaceWithinObjectFragment } } fragment petNameFragment on Pet { name } "
               "fragment interfaceWithinObjectFragment on Dog { ...petNameFragment }");
  expect_valid("{ dog { ...unionWithObjectFragment } } fragment catOrDogNameFragment on CatOrDog { ... on Cat { meowVolume } } "
               "fragment unionWithObjectFragment on Dog { ...catOrDogNameFragment }");
  expect_valid("{ pet { ...petFragment } catOrDog { ...catOrDogFragment } } fragment petFragment on Pet { name ... on Dog { barkVolume } } "
               "fragment catOrDogFragment on CatOrDog { ... on Cat { meowVolume } }");
  expect_invalid("{ pet { ...sentientFragment } } fragment sentientFragment on Sentient { ... on Dog { barkVolume } }",
                 "Fragment cannot be spread here as objects of type \"Sentient\" can never be of type \"Dog\".");
  expect_invalid("{ human { ...humanOrAlienFragment } } fragment humanOrAlienFragment on HumanOrAlien { ... on Cat { meowVolume } }",
                 "can never be of type \"Cat\"");
  expect_valid("{ pet { ...unionWithInterface } } fragment unionWithInterface on Pet { ...dogOrHumanFragment } "
               "fragment dogOrHumanFragment on DogOrHuman { ... on Dog { barkVolume } }");
  expect_invalid("{ pet { ...nonIntersectingInterfaces } } fragment nonIntersectingInterfaces on Pet { ...sentientFragment } "
                 "fragment sentientFragment on Sentient { name }",
                 "Fragment \"sentientFragment\" cannot be spread here as objects of type \"Pet\" can never be of type \"Sentient\".");
}

// 5.6.1 - 5.6.4
TEST(GraphqlValidation, Values) {
  expect_valid("{ arguments { ...goodBooleanArg ...coercedIntIntoFloatArg } } fragment goodBooleanArg on Arguments { booleanArgField(booleanArg: true) } "
               "fragment coercedIntIntoFloatArg on Arguments { floatArgField(floatArg: 123) }");
  expect_valid("query goodComplexDefaultValue($search: FindDogInput = { name: \"Fido\" }) { findDog(searchBy: $search) { name } }");
  expect_invalid("{ arguments { intArgField(intArg: \"123\") } }", "Expected value of type \"Int\", found \"123\".");
  expect_invalid("query badComplexValue { findDog(searchBy: { name: 123 }) { name } }", "Expected value of type \"String\", found 123.");
  expect_invalid("{ arguments { intArgField(intArg: 3000000000) } }", "Int cannot represent non 32-bit signed integer value");
  expect_invalid("{ dog { doesKnowCommand(dogCommand: JUMP) } }", "Value \"JUMP\" does not exist in \"DogCommand\" enum.");
  expect_invalid("{ dog { doesKnowCommand(dogCommand: \"SIT\") } }", "found \"SIT\"");
  expect_valid("{ arguments { booleanListArgField(booleanListArg: true) nonNullListArg(list: [true, false]) } }");
  expect_invalid("{ arguments { nonNullListArg(list: [true, null]) } }", "Expected value of type \"Boolean!\", found null.");
  expect_valid("{ findDog(searchBy: { name: \"Fido\" }) { name } }");
  expect_invalid("{ findDog(searchBy: { favoriteCookieFlavor: \"Bacon\" }) { name } }",
                 "Field \"favoriteCookieFlavor\" is not defined by type \"FindDogInput\".");
  expect_invalid("{ findDog(searchBy: { name: \"A\", name: \"B\" }) { name } }", "There can be only one input field named \"name\".");
  expect_invalid("{ arguments { findDog(searchBy: { owner: \"x\" }) { name } } }",
                 "Field \"ComplexInput.name\" of required type \"String!\" was not provided.");
  expect_invalid("{ arguments { findDog(searchBy: { name: null }) { name } } }", "Expected value of type \"String!\", found null.");
}

// 5.7.1 - 5.7.3
TEST(GraphqlValidation, Directives) {
  expect_invalid("{ dog @unknown { name } }", "Unknown directive \"@unknown\".");
  expect_invalid("query @skip(if: $foo) { dog { name } }", "Directive \"@skip\" may not be used on QUERY.");
  expect_invalid("query ($foo: Boolean = true, $bar: Boolean = false) { field: dog @skip(if: $foo) @skip(if: $bar) { name } }",
                 "The directive \"@skip\" can only be used once at this location.");
  expect_valid("query ($foo: Boolean = true, $bar: Boolean = false) { dog @skip(if: $foo) { name } dog @skip(if: $bar) { nickname } }");
  expect_invalid("{ dog { name @deprecated } }", "Directive \"@deprecated\" may not be used on FIELD.");
}

// 5.8.1 - 5.8.5
TEST(GraphqlValidation, Variables) {
  expect_invalid("query houseTrainedQuery($atOtherHomes: Boolean, $atOtherHomes: Boolean) { dog { isHouseTrained(atOtherHomes: $atOtherHomes) } }",
                 "There can be only one variable named \"$atOtherHomes\".");
  expect_valid("query A($atOtherHomes: Boolean) { ...HouseTrainedFragment } query B($atOtherHomes: Boolean) { ...HouseTrainedFragment } "
               "fragment HouseTrainedFragment on Query { dog { isHouseTrained(atOtherHomes: $atOtherHomes) } }");
  expect_valid("query takesBoolean($atOtherHomes: Boolean) { dog { isHouseTrained(atOtherHomes: $atOtherHomes) } } "
               "query takesComplexInput($search: FindDogInput) { findDog(searchBy: $search) { name } }");
  // [Boolean!] is an input type (the position [Boolean]! is another rule's business).
  EXPECT_EQ(joined(validate_messages("query TakesListOfBooleanBang($booleans: [Boolean!]) { arguments { booleanListArgField(booleanListArg: $booleans) } }"))
                .find("non-input"),
            std::string::npos);
  expect_invalid("query takesCat($cat: Cat) { dog { name } }", "Variable \"$cat\" cannot be non-input type \"Cat\".");
  expect_invalid("query takesDogBang($dog: Dog!) { dog { name } }", "cannot be non-input type \"Dog!\"");
  expect_invalid("query takesListOfPet($pets: [Pet]) { dog { name } }", "cannot be non-input type \"[Pet]\"");
  expect_invalid("query takesCatOrDog($catOrDog: CatOrDog) { dog { name } }", "cannot be non-input type");
  expect_invalid("query variableIsNotDefined { dog { isHouseTrained(atOtherHomes: $atOtherHomes) } }",
                 "Variable \"$atOtherHomes\" is not defined by operation \"variableIsNotDefined\".");
  expect_invalid("query variableIsNotDefinedUsedInSingleFragment { dog { ...isHouseTrainedFragment } } "
                 "fragment isHouseTrainedFragment on Dog { isHouseTrained(atOtherHomes: $atOtherHomes) }",
                 "Variable \"$atOtherHomes\" is not defined by operation \"variableIsNotDefinedUsedInSingleFragment\".");
  expect_invalid("query housetrainedQueryOne($atOtherHomes: Boolean) { dog { ...isHouseTrainedFragment } } "
                 "query housetrainedQueryTwoNotDefined { dog { ...isHouseTrainedFragment } } "
                 "fragment isHouseTrainedFragment on Dog { isHouseTrained(atOtherHomes: $atOtherHomes) }",
                 "not defined by operation \"housetrainedQueryTwoNotDefined\"");
  expect_invalid("query variableUnused($atOtherHomes: Boolean) { dog { isHouseTrained } }",
                 "Variable \"$atOtherHomes\" is never used in operation \"variableUnused\".");
  expect_valid("query variableUsedInFragment($atOtherHomes: Boolean) { dog { ...isHouseTrainedFragment } } "
               "fragment isHouseTrainedFragment on Dog { isHouseTrained(atOtherHomes: $atOtherHomes) }");
  expect_invalid("query intCannotGoIntoBoolean($intArg: Int) { arguments { booleanArgField(booleanArg: $intArg) } }",
                 "Variable \"$intArg\" of type \"Int\" used in position expecting type \"Boolean\".");
  expect_invalid("query booleanListCannotGoIntoBoolean($booleanListArg: [Boolean]) { arguments { booleanArgField(booleanArg: $booleanListArg) } }",
                 "used in position expecting type \"Boolean\"");
  expect_invalid("query booleanArgQuery($booleanArg: Boolean) { arguments { nonNullBooleanArgField(nonNullBooleanArg: $booleanArg) } }",
                 "Variable \"$booleanArg\" of type \"Boolean\" used in position expecting type \"Boolean!\".");
  expect_valid("query nonNullListToList($nonNullBooleanList: [Boolean]!) { arguments { booleanListArgField(booleanListArg: $nonNullBooleanList) } }");
  expect_invalid("query listToNonNullList($booleanList: [Boolean]) { arguments { nonNullBooleanListField: booleanListArgField(booleanListArg: $booleanList) } }",
                 "used in position expecting type \"[Boolean]!\"");
  expect_valid("query booleanArgQueryWithDefault($booleanArg: Boolean) { arguments { optionalNonNullBooleanArgField(optionalBooleanArg: $booleanArg) } }");
  expect_valid("query booleanArgQueryWithDefault($booleanArg: Boolean = true) { arguments { nonNullBooleanArgField(nonNullBooleanArg: $booleanArg) } }");
  expect_invalid("query ($name: String) { arguments { findDog(searchBy: { name: $name }) { name } } }",
                 "used in position expecting type \"String!\"");
  expect_valid("query ($tag: String!) { arguments { findDog(searchBy: { name: \"x\", tags: [$tag] }) { name } } }");
  expect_invalid("query ($v: Int = \"x\") { arguments { intArgField(intArg: $v) } }", "Expected value of type \"Int\", found \"x\".");
}

TEST(GraphqlValidation, IntrospectionCanBeRefused) {
  Document doc = parse("{ __schema { queryType { name } } dog { __typename } }");
  ValidationOptions off;
  off.introspection = false;
  auto errors = validate(test::spec_schema(), doc, off);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].code, codes::kValidationFailed);
  EXPECT_NE(errors[0].message.find("introspection is not allowed"), std::string::npos);
  EXPECT_TRUE(validate(test::spec_schema(), parse("{ dog { __typename } }"), off).empty());
}

TEST(GraphqlValidation, ErrorsCarryLocations) {
  Document doc = parse("{\n  dog {\n    meow\n  }\n}");
  auto errors = validate(test::spec_schema(), doc);
  ASSERT_EQ(errors.size(), 1u);
  ASSERT_EQ(errors[0].locations.size(), 1u);
  EXPECT_EQ(errors[0].locations[0], (Location{3, 5}));
}

}  // namespace
}  // namespace parley::graphql
