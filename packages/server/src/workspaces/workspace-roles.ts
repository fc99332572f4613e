// The roles table lives in @tally/protocol so the web app offers exactly the actions the server allows.
export { ROLE_PERMISSIONS, ROLE_RANK, roleAllows, isLowerRole, mayChangeMember, mayInvite } from '@tally/protocol';
