export { ticketWorkflow } from './ticket';
export { brandMeetingWorkflow, remoteSessionWorkflow, specialistSessionWorkflow } from './session';
