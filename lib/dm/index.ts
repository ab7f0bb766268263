// lib/dm: how to talk to the DM tools (disql login on stdin, the manual's SQL and dmrman statements).
export * from './disql';
export * from './sql';
export { parseMonitorShow, setGroupCommands, SET_GROUP_PARAS, type MonitorView } from './monitor';
