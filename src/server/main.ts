/**
 * Entry point of the Tunelab language server process. The transport comes
 * from the command line, as vscode-languageclient passes it: `--stdio`,
 * `--node-ipc` or `--socket=<port>`.
 */
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import { startServer } from "./server.ts";

startServer(createConnection(ProposedFeatures.all));
