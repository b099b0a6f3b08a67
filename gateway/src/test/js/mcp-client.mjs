// Drives the MCP TypeScript SDK client, unchanged, against the gateway's /mcp endpoint and prints one
// JSON document; the Java test (McpTypeScriptClientTest) asserts on it.
// Usage: node mcp-client.mjs BASE_URL
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const client = new Client({ name: 'ledgermind-test', version: '1.0.0' });
await client.connect(new StreamableHTTPClientTransport(new URL(process.argv[2] + '/mcp')));
const out = { server: client.getServerVersion(), protocol: client.transport?.protocolVersion ?? null };
out.tools = (await client.listTools()).tools.map(t => t.name);
const classified = await client.callTool({
  name: 'classify',
  arguments: { text: 'My parcel arrived smashed and nobody answers', labels: ['complaint', 'praise', 'question'] },
});
out.classify = classified.structuredContent;
out.classifyIsError = classified.isError;
const verified = await client.callTool({ name: 'verify_receipt', arguments: { id: classified.structuredContent.receipt.id } });
out.verify = verified.structuredContent;
const bad = await client.callTool({ name: 'classify', arguments: { text: 'x', labels: ['only-one'] } });
out.badIsError = bad.isError;
await client.close();
console.log(JSON.stringify(out));
