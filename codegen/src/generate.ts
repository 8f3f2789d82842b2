import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { contextOfFile, createDirectoryFiles, loadContractSet } from "@ecom/contracts";
import openapiTS, { astToString } from "openapi-typescript";
import { messages, restOperations } from "./contract-model.js";
import { eventIndexSource, eventTypesSource } from "./event-types.js";
import { graphqlContextSource, graphqlIndexSource } from "./graphql-source.js";
import { findServices, generateProto, PROTOC_GEN_ES_OPTIONS, rpcIndexSource } from "./proto-source.js";
import { generatorVersion, provenanceHeader } from "./provenance.js";
import { registrySource } from "./registry-source.js";
import { restContextSource, restIndexSource } from "./rest-source.js";
import { rpcAccessSource } from "./rpc-access-source.js";
import { soapContextSource, soapIndexSource } from "./soap-source.js";
import { messageValidatorSource, restValidatorSources } from "./validators-source.js";

/** What to generate from and how to name the sources in provenance headers. */
export interface GenerateOptions {
  /** The contracts folder. */
  readonly contractsDir: string;
  /** The repository root, to name contract files relative to it in headers; defaults to the contracts' parent. */
  readonly repoRoot?: string;
  /** Called as each part starts, for progress output. */
  readonly onProgress?: (step: string) => void;
}

/**
 * Generate every file of the SDK's `gen/` folder from the contracts, in memory: a map from path (relative to the
 * `gen/` folder) to content. Deterministic: the same contracts give byte-identical output.
 */
export async function generate(options: GenerateOptions): Promise<Map<string, string>> {
  const contractsDir = resolve(options.contractsDir);
  const repoRoot = resolve(options.repoRoot ?? join(contractsDir, ".."));
  const source = (path: string) => relative(repoRoot, join(contractsDir, path)).split("\\").join("/");
  const progress = options.onProgress ?? (() => {});
  const set = await loadContractSet(createDirectoryFiles(contractsDir));
  const out = new Map<string, string>();
  const emit = (path: string, header: string, body: string) => out.set(path, `${header}\n${body}`);
  const ajvVersion = `ajv v${generatorVersion("ajv")} standalone`;
  const openapiTsVersion = `openapi-typescript v${generatorVersion("openapi-typescript")}`;

  progress("REST types and clients (openapi-typescript)");
  const operations = restOperations(set);
  const restContexts: string[] = [];
  for (const file of set.openapi.keys()) {
    const context = contextOfFile(file);
    restContexts.push(context);
    // A property with a default is one a client may leave out (the server fills it in), so it stays optional:
    // openapi-typescript's default would make `capture` on CreatePaymentRequest a property every caller must send.
    const options = { alphabetize: true, defaultNonNullable: false };
    const types = astToString(await openapiTS(pathToFileURL(join(contractsDir, file)), options));
    emit(
      `openapi/${context}.ts`,
      provenanceHeader({
        generator: openapiTsVersion,
        options: "alphabetize, defaultNonNullable: false",
        sources: [source(file)],
      }),
      types,
    );
    const own = operations.filter((operation) => operation.context === context);
    emit(
      `rest/${context}.ts`,
      provenanceHeader({ generator: "ecom rest-client", sources: [source(file)] }),
      restContextSource(context, own),
    );
    progress(`REST validators of ${context} (ajv)`);
    const validators = restValidatorSources(set, own);
    emit(
      `validators/rest-${context}.ts`,
      provenanceHeader({ generator: ajvVersion, options: "JSON Schema 2020-12, allErrors", sources: [source(file)] }),
      `// @ts-nocheck\n${validators.bodies}`,
    );
    emit(
      `validators/rest-${context}-params.ts`,
      provenanceHeader({
        generator: ajvVersion,
        options: "JSON Schema 2020-12, allErrors, coerceTypes=array",
        sources: [source(file)],
      }),
      `// @ts-nocheck\n${validators.parameters}`,
    );
  }
  restContexts.sort();
  emit(
    "rest/index.ts",
    provenanceHeader({ generator: "ecom rest-client", sources: [...set.openapi.keys()].map(source) }),
    restIndexSource(restContexts),
  );

  progress("message types, validators and registry");
  const models = messages(set);
  for (const file of set.asyncapi.keys()) {
    const context = contextOfFile(file);
    emit(
      `message-types/${context}.ts`,
      provenanceHeader({ generator: openapiTsVersion, options: "AsyncAPI payload schemas", sources: [source(file)] }),
      await eventTypesSource(set, file),
    );
  }
  const asyncapiSources = [...set.asyncapi.keys()].map(source);
  emit(
    "events.ts",
    provenanceHeader({ generator: "ecom message-types", sources: asyncapiSources }),
    eventIndexSource(models),
  );
  emit(
    "validators/messages.ts",
    provenanceHeader({
      generator: ajvVersion,
      options: "JSON Schema draft-07 (AsyncAPI), allErrors",
      sources: asyncapiSources,
    }),
    `// @ts-nocheck\n${messageValidatorSource(set, models)}`,
  );
  emit(
    "registry.ts",
    provenanceHeader({ generator: "ecom message-registry", sources: [...asyncapiSources, source("contexts.yaml")] }),
    registrySource(set, models),
  );

  if (set.proto.length > 0) {
    progress("protobuf messages and Connect services (buf + protoc-gen-es)");
    const protoFiles = await generateProto(join(contractsDir, "proto"));
    const pluginVersion = `protoc-gen-es v${generatorVersion("@bufbuild/protoc-gen-es")}`;
    for (const [path, content] of protoFiles) {
      const proto = path.replace(/_pb\.ts$/, ".proto");
      emit(
        `proto/${path}`,
        provenanceHeader({
          generator: pluginVersion,
          options: PROTOC_GEN_ES_OPTIONS.join(","),
          sources: [source(`proto/${proto}`)],
        }),
        content,
      );
    }
    emit(
      "rpc-access.ts",
      provenanceHeader({ generator: "ecom rpc-access", sources: [source("contexts.yaml")] }),
      rpcAccessSource(set),
    );
    emit(
      "rpc.ts",
      provenanceHeader({ generator: "ecom rpc-clients", sources: set.proto.map(source) }),
      rpcIndexSource(
        findServices(protoFiles),
        [...protoFiles.keys()].map((path) => path.replace(/\.ts$/, "")),
      ),
    );
  }
  if (set.graphql.size > 0) {
    progress("GraphQL schema, result and operation types (graphql-js)");
    const graphqlVersion = `graphql-js v${generatorVersion("graphql")}`;
    const graphqlContexts: string[] = [];
    for (const [file, sdl] of set.graphql) {
      const context = contextOfFile(file);
      graphqlContexts.push(context);
      const operationsFile = `graphql/operations/${context}.graphql`;
      const operations = set.graphqlOperations.get(operationsFile);
      emit(
        `graphql/${context}.ts`,
        provenanceHeader({
          generator: graphqlVersion,
          sources: operations === undefined ? [source(file)] : [source(file), source(operationsFile)],
        }),
        graphqlContextSource(context, sdl, operations),
      );
    }
    emit(
      "graphql/index.ts",
      provenanceHeader({ generator: graphqlVersion, sources: [...set.graphql.keys()].map(source) }),
      graphqlIndexSource(graphqlContexts.sort()),
    );
  }
  if (set.soap.size > 0) {
    progress("SOAP request and response types (WSDL)");
    const soapContexts: string[] = [];
    for (const [file, wsdl] of set.soap) {
      const context = contextOfFile(file);
      soapContexts.push(context);
      emit(
        `soap/${context}.ts`,
        provenanceHeader({ generator: "ecom soap-types", sources: [source(file)] }),
        soapContextSource(context, file, wsdl),
      );
    }
    emit(
      "soap/index.ts",
      provenanceHeader({ generator: "ecom soap-types", sources: [...set.soap.keys()].map(source) }),
      soapIndexSource(soapContexts.sort()),
    );
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}
