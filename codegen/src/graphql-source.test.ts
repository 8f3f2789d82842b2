import { describe, expect, it } from "vitest";
import { graphqlContextSource } from "./graphql-source.js";

const sdl = `"The root."
type Query {
  "One book."
  book(id: ID!): Book
  books(first: Int = 20, genre: Genre): [Book!]!
}

type Book {
  id: ID!
  title: String!
  subtitle: String
  genre: Genre!
  tags: [String]
}

enum Genre {
  fiction
  poetry
}
`;

const operations = `query Shelf($first: Int, $genre: Genre) {
  shelf: books(first: $first, genre: $genre) {
    __typename
    ...Names
    subtitle @include(if: false)
  }
}

query OneBook($id: ID!) {
  book(id: $id) {
    id
    tags
  }
}

fragment Names on Book {
  id
  title
}
`;

const out = graphqlContextSource("shop", sdl, operations);

describe("GraphQL code generation", () => {
  it("keeps the SDL as written, for the server to build its schema from", () => {
    expect(out).toContain(`export const shopGraphqlSchema: string = ${JSON.stringify(sdl)};`);
  });

  it.each([
    ["an enum as a union of its values", 'export type Genre = "fiction" | "poetry";'],
    ["a nullable field as T | null", "  readonly subtitle: string | null;"],
    ["a list of nullable items", "  readonly tags: readonly (string | null)[] | null;"],
    ["an argument with a default as optional", "  readonly first?: number | null;"],
    ["a required argument as required", "export interface QueryBookArgs {\n  readonly id: string;\n}"],
    ["descriptions as JSDoc", "  /** One book. */\n  readonly book: Book | null;"],
  ])("types %s", (_name, want) => {
    expect(out).toContain(want);
  });

  it("types a result by its selection: aliases, spread fragments, __typename and @include", () => {
    expect(out).toContain(`export type ShelfResult = {
  readonly shelf: readonly ({
    readonly __typename: "Book";
    readonly id: string;
    readonly title: string;
    readonly subtitle?: string | null;
  })[];
};`);
  });

  it("types variables, optional unless non-null without a default", () => {
    expect(out).toContain("export interface OneBookVariables {\n  readonly id: string;\n}");
    expect(out).toContain(
      "export interface ShelfVariables {\n  readonly first?: number | null;\n  readonly genre?: Genre | null;\n}",
    );
  });

  it("ships each document with exactly the fragments it spreads", () => {
    const shelf =
      /export const Shelf: GraphqlDocument<ShelfResult, ShelfVariables> = \{\n {2}operationName: "Shelf",\n {2}query: (".*"),/.exec(
        out,
      );
    expect(JSON.parse(shelf?.[1] ?? '""')).toContain("fragment Names on Book");
    const one = /export const OneBook: [^\n]*\n[^\n]*\n {2}query: (".*"),/.exec(out);
    expect(JSON.parse(one?.[1] ?? '""')).not.toContain("fragment");
  });

  it("refuses an anonymous operation, which could not be named in the SDK", () => {
    expect(() => graphqlContextSource("shop", sdl, "{ books { id } }")).toThrow(/needs a name/);
  });
});
