import nodemailer from 'nodemailer';
import type { WorkspaceRole } from '@tally/protocol';

/**
 * Invitation mails one person may have sent per hour, across nodes: anyone can make a workspace
 * and invite, so without a bound the server would mail whatever addresses a spammer lists.
 */
export const INVITATION_MAILS_PER_HOUR = 20;

/** What an invitation mail says. */
export interface InvitationMail {
  to: string;
  workspaceName: string;
  inviterEmail: string;
  role: WorkspaceRole;
  link: string;
  expiresAt: string;
}

/** Sends invitation mails through the SMTP server TALLY_SMTP_URL names. */
export interface InvitationMailer {
  send(mail: InvitationMail): Promise<void>;
  close(): void;
}

export function createInvitationMailer(config: { url: string; from: string }): InvitationMailer {
  const transport = nodemailer.createTransport(config.url);
  return {
    async send(mail) {
      const text = [
        `${mail.inviterEmail} invites you to the workspace "${mail.workspaceName}" on Tally, as ${mail.role}.`,
        '',
        `Accept: ${mail.link}`,
        '',
        `The link works once, until ${mail.expiresAt}, and only for the account with this email address.`,
      ].join('\n');
      await transport.sendMail({ from: config.from, to: mail.to, subject: `Join "${mail.workspaceName}" on Tally`, text });
    },
    close: () => transport.close(),
  };
}
