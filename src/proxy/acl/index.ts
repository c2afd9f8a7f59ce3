/** ACLs, conditions and request routing, shared by the proxy and the verifier. */
export type {
  Acl,
  AclExpression,
  Condition,
  ConditionTerm,
  FetchSpec,
  IpAddress,
  MatchMethod,
  RequestFacts,
  RouteDecision,
  Sample,
  SourceRef,
} from './types.js';
export { parseAclExpression, parseCondition, conditionFetches, SUPPORTED_FETCHES } from './parse.js';
export { evaluateCondition, routeRequest, isStatsRequest, type RoutableProxy, type HttpRequestRuleLike } from './evaluate.js';
export { fetchSamples, uriPath, headerValues } from './fetch.js';
export { parseIp, parseNetwork, addressInNetwork } from './ip.js';
