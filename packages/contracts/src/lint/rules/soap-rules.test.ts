import { describe, it } from "vitest";
import {
  edit,
  expectFindings,
  type Files,
  lineOf,
  lintFiles,
  minimal,
  type Want,
} from "../__fixtures__/lint-fixture.js";
import type { LintRule } from "../lint-rule.js";
import { soapCalledOperations, soapReferencesResolve, soapWsdlValid } from "./soap-rules.js";

type Case = [string, { given: Files; want: Want[] }];

const WSDL = "soap/cart.wsdl";

/** The minimal fixture with a small, valid WSDL for its cart context, offering ProcessPayment. */
const withSoap: Files = {
  ...minimal,
  [WSDL]: `<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions name="PaymentProcessor" targetNamespace="urn:test"
    xmlns:tns="urn:test" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <wsdl:types>
    <xsd:schema targetNamespace="urn:test" elementFormDefault="qualified">
      <xsd:complexType name="Card">
        <xsd:sequence>
          <xsd:element name="last4" type="xsd:string"/>
        </xsd:sequence>
      </xsd:complexType>
      <xsd:element name="ProcessPaymentRequest">
        <xsd:complexType>
          <xsd:sequence>
            <xsd:element name="orderId" type="xsd:string"/>
            <xsd:element name="amount" type="xsd:long"/>
            <xsd:element name="card" type="tns:Card"/>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
      <xsd:element name="ProcessPaymentResponse">
        <xsd:complexType>
          <xsd:sequence>
            <xsd:element name="status" type="xsd:string"/>
          </xsd:sequence>
        </xsd:complexType>
      </xsd:element>
    </xsd:schema>
  </wsdl:types>
  <wsdl:message name="In">
    <wsdl:part name="parameters" element="tns:ProcessPaymentRequest"/>
  </wsdl:message>
  <wsdl:message name="Out">
    <wsdl:part name="parameters" element="tns:ProcessPaymentResponse"/>
  </wsdl:message>
  <wsdl:portType name="Processor">
    <wsdl:operation name="ProcessPayment">
      <wsdl:input message="tns:In"/>
      <wsdl:output message="tns:Out"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="ProcessorSoap" type="tns:Processor">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="ProcessPayment">
      <soap:operation soapAction="urn:test#ProcessPayment"/>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="ProcessorService">
    <wsdl:port name="ProcessorPort" binding="tns:ProcessorSoap">
      <soap:address location="http://localhost/soap"/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`,
};

const at = (given: Files, needle: string, message?: string): Want => ({
  file: WSDL,
  line: lineOf(given, WSDL, needle),
  ...(message !== undefined ? { message } : {}),
});

const table: [LintRule, Case[]][] = [];

{
  const unclosed = edit(withSoap, WSDL, "</wsdl:types>", "</wsdl:typos>");
  const notWsdl = edit(
    edit(withSoap, WSDL, "<wsdl:definitions", "<definitions"),
    WSDL,
    "</wsdl:definitions>",
    "</definitions>",
  );
  const noService = edit(
    edit(withSoap, WSDL, "<wsdl:service", "<!-- <wsdl:service"),
    WSDL,
    "</wsdl:service>",
    "</wsdl:service> -->",
  );
  const { [WSDL]: text, ...rest } = withSoap;
  const stray = { ...rest, "soap/warehouse.wsdl": text! };
  table.push([
    soapWsdlValid,
    [
      ["a valid WSDL passes", { given: withSoap, want: [] }],
      ["a set without SOAP passes", { given: minimal, want: [] }],
      [
        "XML that is not well-formed is reported",
        {
          given: unclosed,
          want: [{ file: WSDL, line: lineOf(unclosed, WSDL, "<wsdl:types>"), message: "not a WSDL" }],
        },
      ],
      [
        "a root that is not wsdl:definitions is reported",
        { given: notWsdl, want: [at(notWsdl, "<definitions", "WSDL 1.1")] },
      ],
      [
        "a WSDL without a service is reported",
        { given: noService, want: [{ file: WSDL, line: 1, message: "no wsdl:service" }] },
      ],
      [
        "a WSDL named for no context is reported",
        { given: stray, want: [{ file: "soap/warehouse.wsdl", line: 1, message: 'no context "warehouse"' }] },
      ],
    ],
  ]);
}

{
  const fieldType = edit(withSoap, WSDL, 'type="tns:Card"', 'type="tns:Wallet"');
  const part = edit(withSoap, WSDL, 'element="tns:ProcessPaymentResponse"', 'element="tns:Reply"');
  const message = edit(withSoap, WSDL, 'message="tns:Out"', 'message="tns:Answer"');
  const binding = edit(withSoap, WSDL, 'type="tns:Processor"', 'type="tns:Gateway"');
  const extra = edit(
    withSoap,
    WSDL,
    '<wsdl:operation name="ProcessPayment">\n      <soap:operation',
    '<wsdl:operation name="Refund">\n      <soap:operation',
  );
  const port = edit(withSoap, WSDL, 'binding="tns:ProcessorSoap"', 'binding="tns:ProcessorRest"');
  table.push([
    soapReferencesResolve,
    [
      ["a WSDL whose names all resolve passes", { given: withSoap, want: [] }],
      ["an undeclared field type is reported", { given: fieldType, want: [at(fieldType, 'name="card"', "Wallet")] }],
      ["a part naming an undeclared element is reported", { given: part, want: [at(part, "tns:Reply", "Reply")] }],
      [
        "an operation naming an undeclared message is reported",
        { given: message, want: [at(message, '<wsdl:operation name="ProcessPayment">', "Answer")] },
      ],
      [
        "a binding for an undeclared port type is reported",
        { given: binding, want: [at(binding, "<wsdl:binding", "Gateway")] },
      ],
      [
        "a binding that binds another operation than its port type's is reported both ways",
        {
          given: extra,
          want: [
            at(extra, "<wsdl:binding", "does not bind Processor's ProcessPayment"),
            at(extra, 'name="Refund"', "binds Refund"),
          ],
        },
      ],
      [
        "a port using an undeclared binding is reported",
        { given: port, want: [at(port, "<wsdl:port ", "ProcessorRest")] },
      ],
    ],
  ]);
}

{
  // The payment context calls ProcessPayment; the minimal map has no payment context, which this rule does not read.
  const PAYMENT = "soap/payment.wsdl";
  const { [WSDL]: text, ...rest } = withSoap;
  const payment: Files = { ...rest, [PAYMENT]: text! };
  const renamed = edit(
    edit(payment, PAYMENT, '<wsdl:operation name="ProcessPayment">', '<wsdl:operation name="Pay">'),
    PAYMENT,
    '<wsdl:operation name="ProcessPayment">',
    '<wsdl:operation name="Pay">',
  );
  const oneWay = edit(payment, PAYMENT, '      <wsdl:output message="tns:Out"/>\n', "");
  table.push([
    soapCalledOperations,
    [
      ["a service offering ProcessPayment passes", { given: payment, want: [] }],
      ["another context's WSDL need not offer it", { given: withSoap, want: [] }],
      [
        "a payment WSDL without ProcessPayment is reported",
        { given: renamed, want: [{ file: PAYMENT, line: 1, message: "ProcessPayment" }] },
      ],
      [
        "ProcessPayment without an output is reported",
        { given: oneWay, want: [{ file: PAYMENT, line: 1, message: "output" }] },
      ],
    ],
  ]);
}

describe.each(table)("$id", (rule, cases) => {
  it.each(cases)("%s", async (_name, { given, want }) => {
    expectFindings(await lintFiles(rule, given), want);
  });
});
