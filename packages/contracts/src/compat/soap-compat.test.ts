import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createMemoryFiles } from "../source/contract-files.js";
import { compareContracts } from "./compare-contracts.js";
import { CompatError } from "./compat-error.js";
import { formatCompatReport } from "./report-format.js";
import { compatRules } from "./rule-catalog.js";

const PATH = "soap/payment.wsdl";
// The real contract, so the cases exercise the shapes the platform depends on.
const wsdl = readFileSync(new URL(`../../../../contracts/${PATH}`, import.meta.url), "utf8");

async function compare(head: string | undefined, base: { readonly text: string | undefined } = { text: wsdl }) {
  const side = (text: string | undefined) => createMemoryFiles(text === undefined ? {} : { [PATH]: text });
  return compareContracts({ base: side(base.text), head: side(head), fileRoot: "contracts" });
}

/** The contract with the first `from` replaced by `to`. */
const edited = (from: string, to: string, text = wsdl) => {
  if (!text.includes(from)) throw new Error(`the WSDL has no ${from}`);
  return text.replace(from, to);
};

const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split("\n").length;

describe("ecom compat on WSDL contracts", () => {
  const currency = '<xsd:element name="currency" type="xsd:string"/>';
  const added = (element: string) => edited(currency, `${currency}\n            ${element}`);
  const cases: [string, { head: string; ruleId: string; severity: string; pointer: string; line: number }][] = [
    [
      "a removed element",
      {
        head: edited(`            ${currency}\n`, ""),
        ruleId: "soap/element-removed",
        severity: "breaking",
        pointer: "ProcessPaymentRequest.currency",
        line: lineOf(wsdl, '<xsd:element name="ProcessPaymentRequest">'),
      },
    ],
    [
      "an element whose type changed",
      {
        head: edited('name="amount" type="xsd:long"', 'name="amount" type="xsd:decimal"'),
        ruleId: "soap/element-type-changed",
        severity: "breaking",
        pointer: "ProcessPaymentRequest.amount",
        line: lineOf(wsdl, 'name="amount"'),
      },
    ],
    [
      "an added required element",
      {
        head: added('<xsd:element name="channel" type="xsd:string"/>'),
        ruleId: "soap/required-element-added",
        severity: "breaking",
        pointer: "ProcessPaymentRequest.channel",
        line: lineOf(wsdl, currency) + 1,
      },
    ],
    [
      "an added optional element",
      {
        head: added('<xsd:element name="channel" type="xsd:string" minOccurs="0"/>'),
        ruleId: "soap/optional-element-added",
        severity: "info",
        pointer: "ProcessPaymentRequest.channel",
        line: lineOf(wsdl, currency) + 1,
      },
    ],
    [
      "an optional element made required",
      {
        head: edited('name="testOutcome" type="xsd:string" minOccurs="0"', 'name="testOutcome" type="xsd:string"'),
        ruleId: "soap/element-became-required",
        severity: "breaking",
        pointer: "Card.testOutcome",
        line: lineOf(wsdl, 'name="testOutcome"'),
      },
    ],
    [
      "a removed message part",
      {
        head: edited('    <wsdl:part name="fault" element="tns:PaymentFault"/>\n', ""),
        ruleId: "soap/part-removed",
        severity: "breaking",
        pointer: "PaymentFaultMessage.fault",
        line: lineOf(wsdl, '<wsdl:message name="PaymentFaultMessage">'),
      },
    ],
    [
      "a part naming another element",
      {
        head: edited('element="tns:ProcessPaymentResponse"', 'element="tns:PaymentFault"'),
        ruleId: "soap/part-changed",
        severity: "breaking",
        pointer: "ProcessPaymentOutput.parameters",
        line: lineOf(wsdl, 'element="tns:ProcessPaymentResponse"'),
      },
    ],
  ];
  it.each(cases)("classifies %s", async (_name, { head, ruleId, severity, pointer, line }) => {
    const report = await compare(head);
    expect(report.findings).toEqual([
      expect.objectContaining({ ruleId, severity, kind: "soap", pointer, line, file: `contracts/${PATH}` }),
    ]);
  });

  const fault = '<wsdl:fault name="PaymentFault" message="tns:PaymentFaultMessage"/>';
  const faultCases: [string, { head: string; says: string }][] = [
    ["a fault removed from an operation", { head: edited(`      ${fault}\n`, ""), says: "the fault PaymentFault" }],
    [
      "a fault that names another message",
      {
        head: edited(fault, '<wsdl:fault name="PaymentFault" message="tns:ProcessPaymentOutput"/>'),
        says: "the fault PaymentFault",
      },
    ],
  ];
  it.each(faultCases)("reports %s as a breaking change of its operation's messages", async (_name, { head, says }) => {
    const report = await compare(head);
    expect(report.findings).toContainEqual(
      expect.objectContaining({
        ruleId: "soap/message-changed",
        severity: "breaking",
        pointer: "PaymentProcessorPortType.ProcessPayment",
        line: lineOf(head, '<wsdl:operation name="ProcessPayment">'),
        message: expect.stringContaining(says),
      }),
    );
  });

  it("reports a removed operation as breaking, whether dropped from the port type or its binding", async () => {
    const fromPortType = edited(
      '    <wsdl:operation name="ProcessPayment">\n      <wsdl:input message="tns:ProcessPaymentInput"/>',
      '    <wsdl:operation name="Authorize">\n      <wsdl:input message="tns:ProcessPaymentInput"/>',
    );
    expect((await compare(fromPortType)).findings.map((finding) => [finding.ruleId, finding.pointer])).toEqual([
      ["soap/operation-removed", "PaymentProcessorPortType.ProcessPayment"],
      ["soap/operation-added", "PaymentProcessorPortType.Authorize"],
    ]);
    const start = wsdl.indexOf('<wsdl:operation name="ProcessPayment">', wsdl.indexOf("<wsdl:binding"));
    const end = wsdl.indexOf("</wsdl:operation>", start) + "</wsdl:operation>".length;
    const unbound = wsdl.slice(0, start) + wsdl.slice(end);
    expect((await compare(unbound)).findings).toEqual([
      expect.objectContaining({
        ruleId: "soap/operation-removed",
        severity: "breaking",
        pointer: "PaymentProcessorSoapBinding.ProcessPayment",
      }),
    ]);
  });

  it("covers every SOAP rule of the catalog, each with its severity", async () => {
    const portStart = wsdl.indexOf("<wsdl:port ");
    const portEnd = wsdl.indexOf("</wsdl:port>") + "</wsdl:port>".length;
    const heads = [
      ...cases.map(([, { head }]) => head),
      edited('<wsdl:output message="tns:ProcessPaymentOutput"/>', '<wsdl:output message="tns:PaymentFaultMessage"/>'),
      edited(
        '<wsdl:part name="parameters" element="tns:ProcessPaymentRequest"/>',
        '<wsdl:part name="parameters" element="tns:ProcessPaymentRequest"/>\n    <wsdl:part name="trace" type="xsd:string"/>',
      ),
      edited(
        '<xsd:complexType name="Card">',
        '<xsd:complexType name="Wallet">\n        <xsd:sequence/>\n      </xsd:complexType>\n      <xsd:complexType name="Card">',
      ),
      edited('name="brand" type="xsd:string"/>', 'name="brand" type="xsd:string" minOccurs="0"/>'),
      wsdl.slice(0, portStart) + wsdl.slice(portEnd),
      edited(
        '<wsdl:operation name="ProcessPayment">\n      <wsdl:input message="tns:ProcessPaymentInput"/>',
        '<wsdl:operation name="Authorize">\n      <wsdl:input message="tns:ProcessPaymentInput"/>',
      ),
    ];
    const seen = new Map<string, string>();
    for (const head of heads)
      for (const finding of (await compare(head)).findings) seen.set(finding.ruleId, finding.severity);
    for (const finding of (await compare(undefined)).findings) seen.set(finding.ruleId, finding.severity);
    for (const finding of (await compare(wsdl, { text: undefined })).findings)
      seen.set(finding.ruleId, finding.severity);
    // Renaming the Card type removes one shape and adds another.
    const renamed = edited('<xsd:complexType name="Card">', '<xsd:complexType name="PaymentCard">');
    for (const finding of (await compare(renamed)).findings) seen.set(finding.ruleId, finding.severity);
    const catalog = compatRules.filter((rule) => rule.kind === "soap");
    expect(new Map([...seen].sort())).toEqual(new Map(catalog.map((rule) => [rule.id, rule.severity] as const).sort()));
  });

  it("finds nothing when only comments change", async () => {
    expect((await compare(edited("<!-- Minor units (cents). -->", "<!-- In cents. -->"))).findings).toEqual([]);
  });

  it("reports a removed WSDL as breaking and an added one as info", async () => {
    expect((await compare(undefined)).findings).toEqual([
      expect.objectContaining({ ruleId: "soap/wsdl-removed", severity: "breaking" }),
    ]);
    expect((await compare(wsdl, { text: undefined })).findings).toEqual([
      expect.objectContaining({ ruleId: "soap/wsdl-added", severity: "info" }),
    ]);
  });

  it("formats SOAP findings like the others", async () => {
    const report = await compare(edited('name="amount" type="xsd:long"', 'name="amount" type="xsd:decimal"'));
    expect(formatCompatReport(report, "text")).toContain("soap/element-type-changed");
    expect(formatCompatReport(report, "github")).toMatch(
      new RegExp(`^::error file=contracts/soap/payment\\.wsdl,line=${lineOf(wsdl, 'name="amount"')}`, "m"),
    );
  });

  it("stops with a CompatError naming the file when a changed WSDL does not parse", async () => {
    await expect(compare("<wsdl:definitions")).rejects.toThrow(CompatError);
    await expect(compare("<wsdl:definitions")).rejects.toThrow(/soap\/payment\.wsdl/);
  });
});
